/**
 * Inbound messages from WhatsApp and SMS (Twilio) and Messenger (Meta).
 *
 * The webhook handlers verify the provider's signature, parse the payload with the schemas here and publish
 * one channel-agnostic `channel.message.received` event per message ({@link InboundMessage}). The bus
 * delivers it to handlers/channel-message.ts, which calls {@link receiveChannelMessage}: find or start the
 * identity's open conversation and run the same pipeline as a web message (core/conversation.ts).
 * Nothing here logs or returns message text or phone numbers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { detectLanguage } from '../answer/language';
import { broadcast, deliverToCustomer, receiveCustomerMessage, type ChatDeps } from '../conversation';
import { DomainError } from '../errors';
import { isTenantId } from '../ids';
import type { ConversationRecord } from '../ports';
import type { MessageAttachment, MessageView, QuickReply } from '../protocol';
import { csatScoreIn, handoffText } from '../handoff-text';
import { resolveNumberedReply } from './format';
import { handleSmsKeyword, isOptedOut, optOutAddress, optOutCommand, type KeywordChannel, type OptOutStore } from './policy';
import { conversationOfIdentity, identityOf, startChannelConversation, type IdentityStore } from './identity';

export const E164 = /^\+[1-9]\d{6,14}$/;
/** Longest text kept from one inbound message (Twilio: 1,600 characters; Messenger: 2,000). */
export const MAX_INBOUND_TEXT = 4000;
const MAX_MEDIA = 10;

export const inboundMediaSchema = z.strictObject({
  url: z.url().max(2048),
  contentType: z.string().regex(/^[a-z]+\/[A-Za-z0-9.+*-]+$/, 'must be a media type such as image/jpeg').max(128),
});

/** One message a customer sent on a provider channel: the detail of `channel.message.received`. */
export const inboundMessageSchema = z.strictObject({
  tenantId: z.string().refine(isTenantId, 'not a tenant id'),
  channel: z.enum(['whatsapp', 'sms', 'messenger']),
  /** E.164 phone on WhatsApp and SMS; the page-scoped id (PSID) on Messenger. */
  from: z.string().min(1).max(64).regex(/^[A-Za-z0-9+_-]+$/, 'must be a phone number or a sender id'),
  text: z.string().max(MAX_INBOUND_TEXT),
  media: z.array(inboundMediaSchema).max(MAX_MEDIA),
  /** Twilio's MessageSid, Meta's mid: a provider retry carries the same one. */
  providerMessageId: z.string().min(1).max(256),
});
export type InboundMessage = z.infer<typeof inboundMessageSchema>;

// ---- Twilio (SMS and WhatsApp) ------------------------------------------------------------------------

const twilioAddress = z
  .string()
  .trim()
  .regex(/^(whatsapp:)?\+[1-9]\d{6,14}$/, 'must be an E.164 number, optionally prefixed whatsapp:');

/** The form fields of Twilio's incoming-message webhook that we read (Twilio sends more; they are ignored). */
export const twilioInboundSchema = z
  .object({
    MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a Twilio message SID (SM… / MM…)'),
    AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio account SID (AC…)'),
    From: twilioAddress,
    To: twilioAddress,
    Body: z.string().max(MAX_INBOUND_TEXT).default(''),
    NumMedia: z.coerce.number().int().min(0).max(MAX_MEDIA).default(0),
  })
  .loose();

/**
 * The media of a message that can be kept, each media type without its parameters ("audio/ogg; codecs=opus" is
 * audio/ogg). One that cannot (no https URL, no media type) is left out and reported to `onSkipped`, never the
 * message with it: Twilio does not retry a refused delivery and Meta redelivers it unchanged, so refusing the
 * message would lose what the customer wrote.
 */
export function keptMedia(
  candidates: readonly { readonly url: string; readonly contentType: string }[],
  pathOf: (index: number) => string,
  onSkipped?: (skipped: SkippedMetaItem) => void,
): z.infer<typeof inboundMediaSchema>[] {
  return candidates.flatMap((candidate, i) => {
    const parsed = inboundMediaSchema.safeParse({ url: candidate.url, contentType: candidate.contentType.split(';')[0]?.trim().toLowerCase() ?? '' });
    if (parsed.success) return [parsed.data];
    onSkipped?.(skippedOf([pathOf(i)], parsed.error.issues));
    return [];
  });
}

/**
 * A Twilio inbound webhook's form fields as one inbound message (the media fields `MediaUrlN` / `MediaContentTypeN`).
 * The envelope (sid, numbers, body) is all-or-nothing; a malformed media item is left out (see {@link keptMedia}).
 */
export function inboundFromTwilio(tenantId: string, params: Readonly<Record<string, string>>, onSkipped?: (skipped: SkippedMetaItem) => void): InboundMessage {
  const form = twilioInboundSchema.parse(params);
  const whatsapp = form.From.startsWith('whatsapp:');
  const media = keptMedia(
    Array.from({ length: form.NumMedia }, (_, i) => ({ url: params[`MediaUrl${i}`] ?? '', contentType: params[`MediaContentType${i}`] ?? '' })),
    (i) => `MediaUrl${i}`,
    onSkipped,
  );
  return inboundMessageSchema.parse({
    tenantId,
    channel: whatsapp ? 'whatsapp' : 'sms',
    from: form.From.replace(/^whatsapp:/, ''),
    text: form.Body,
    media,
    providerMessageId: form.MessageSid,
  });
}

// ---- Meta (Messenger) ---------------------------------------------------------------------------------

const metaAttachment = z
  .object({
    type: z.enum(['image', 'audio', 'video', 'file', 'template', 'fallback', 'location', 'sticker', 'reel', 'ig_reel', 'share']).catch('file'),
    // Checked with the other media (keptMedia): a bad URL loses the attachment, not the message.
    payload: z.object({ url: z.string().optional() }).loose().nullish(),
  })
  .loose();

const metaMessaging = z
  .object({
    sender: z.object({ id: z.string().regex(/^\d{1,32}$/, 'must be a page-scoped id') }),
    recipient: z.object({ id: z.string().regex(/^\d{1,32}$/, 'must be a page id') }),
    timestamp: z.number().int().optional(),
    message: z
      .object({
        mid: z.string().min(1).max(256),
        text: z.string().max(MAX_INBOUND_TEXT).optional(),
        is_echo: z.boolean().optional(),
        /** A tapped quick reply: the payload we gave the button (the option's full text; Meta allows 1,000 characters). */
        quick_reply: z.object({ payload: z.string().max(1000) }).optional(),
        attachments: z.array(metaAttachment).max(MAX_MEDIA).optional(),
      })
      .loose()
      .optional(),
    postback: z.object({ mid: z.string().min(1).max(256).optional(), title: z.string().max(MAX_INBOUND_TEXT), payload: z.string().max(1000).optional() }).loose().optional(),
  })
  .loose();

/**
 * Meta's Messenger webhook body (`object: page`) — its envelope only: each entry ({@link metaEntrySchema}) and
 * each of its items ({@link metaMessaging}) is read on its own by {@link inboundFromMeta}. Delivery, read and
 * echo notifications are ignored.
 */
export const metaWebhookSchema = z
  .object({
    object: z.literal('page', 'must be "page" (Messenger)'),
    entry: z.array(z.unknown()).max(100),
  })
  .loose();

/** One entry of a Messenger delivery: a Page's batch of items, each read on its own. */
const metaEntrySchema = z.object({ id: z.string(), time: z.number().int().optional(), messaging: z.array(z.unknown()).max(100).default([]) }).loose();

/** A part of a delivery left out as malformed: where it is and why (never its content: no customer text here). */
export interface SkippedMetaItem {
  /** `entry.<i>` or `entry.<i>.messaging.<j>`, then the path of the first problem inside it. */
  readonly path: string;
  readonly reason: string;
}

const skippedOf = (at: readonly (string | number)[], issues: readonly z.core.$ZodIssue[]): SkippedMetaItem => {
  const issue = issues[0];
  return { path: [...at, ...(issue?.path ?? [])].map(String).join('.'), reason: issue?.message ?? 'invalid' };
};

const mediaTypeOf = (type: string): string => (type === 'file' ? 'application/octet-stream' : ['image', 'audio', 'video'].includes(type) ? `${type}/*` : 'application/octet-stream');

/**
 * The customer messages in a Messenger webhook delivery (a delivery may batch several). With `pageId` (the
 * tenant's Page), entries of any other Page are left out: a body Meta signed for another Page that shares the
 * app secret is no message to this tenant.
 *
 * Only the envelope is all-or-nothing (a body that is not a Messenger delivery throws the ZodError: a 400). Each
 * entry and each item is parsed on its own: a malformed one is left out and reported to `onSkipped`, and the
 * others are read. Meta redelivers a refused batch as it was, so refusing it for one bad item would lose the
 * good messages in it for good.
 */
/** The payload Messenger sends when a new customer taps "Get Started" (the page's welcome screen button). */
const GET_STARTED = 'GET_STARTED';

export function inboundFromMeta(tenantId: string, body: unknown, pageId?: string, onSkipped?: (skipped: SkippedMetaItem) => void): InboundMessage[] {
  const parsed = metaWebhookSchema.parse(body);
  const out: InboundMessage[] = [];
  const skip = (at: readonly (string | number)[], issues: readonly z.core.$ZodIssue[]): void => onSkipped?.(skippedOf(at, issues));
  parsed.entry.forEach((rawEntry, i) => {
    const entry = metaEntrySchema.safeParse(rawEntry);
    if (!entry.success) return skip(['entry', i], entry.error.issues);
    if (pageId !== undefined && entry.data.id !== pageId) return;
    entry.data.messaging.forEach((rawItem, j) => {
      const at = ['entry', i, 'messaging', j];
      const item = metaMessaging.safeParse(rawItem);
      if (!item.success) return skip(at, item.error.issues);
      const m = item.data;
      let message: unknown;
      if (m.message && !m.message.is_echo) {
        const attachments = (m.message.attachments ?? []).flatMap((a, k) => (a.payload?.url ? [{ url: a.payload.url, contentType: mediaTypeOf(a.type), k }] : []));
        const media = keptMedia(attachments, (n) => [...at, 'message', 'attachments', attachments[n]?.k ?? n].join('.'), onSkipped);
        // A tapped quick reply: its payload is the option's full text (format.ts buttonsOf), its text the title cut to 20 characters.
        const payload = m.message.quick_reply?.payload;
        const text = payload?.trim() ? payload : (m.message.text ?? '');
        message = { tenantId, channel: 'messenger', from: m.sender.id, text, media, providerMessageId: m.message.mid };
      } else if (m.postback) {
        // A tapped button: its title is what the customer "said"; postbacks without a mid are keyed by sender and time.
        // Messenger's own "Get Started" button opens the chat: a greeting, not a question to answer ("Get Started"
        // was answered "I'm not sure about that" and counted towards a handoff).
        const id = m.postback.mid ?? `postback-${m.sender.id}-${m.timestamp ?? entry.data.time ?? 0}`;
        const text = m.postback.payload === GET_STARTED ? 'Hi' : m.postback.title;
        message = { tenantId, channel: 'messenger', from: m.sender.id, text, media: [], providerMessageId: id };
      } else return;
      const inbound = inboundMessageSchema.safeParse(message);
      if (inbound.success) out.push(inbound.data);
      else skip(at, inbound.error.issues);
    });
  });
  return out;
}

/**
 * Meta's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body with the app secret, compared in
 * constant time (lengths checked first: `timingSafeEqual` throws on a length mismatch).
 */
export function validMetaSignature(appSecret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-fA-F]{64}$/.test(header)) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Meta's subscription check: the verify token compared in constant time. */
export function validVerifyToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---- into the conversation ------------------------------------------------------------------------------

export interface ChannelDeps extends ChatDeps {
  readonly identities: IdentityStore;
  /** SMS opt-outs (STOP / START), shared with the senders (core/channels/policy.ts). */
  readonly optOuts: OptOutStore;
}

/**
 * The media kept with an inbound message for staff to open: those at an https address (Twilio's media URLs, Meta's
 * CDN links). Anything else (a `javascript:` or plain-http address in a forged event) is never made a link; its
 * `[attachment: type]` line stays in the text.
 */
export function attachmentsOf(message: Pick<InboundMessage, 'media'>): MessageAttachment[] {
  return message.media.filter((m) => URL.canParse(m.url) && new URL(m.url).protocol === 'https:').map((m) => ({ url: m.url, contentType: m.contentType }));
}

/** The text stored for an inbound message: its words, and a line per attachment (media URLs are not kept in the text). */
export function storedTextOf(message: Pick<InboundMessage, 'text' | 'media'>): string {
  const lines = [message.text.trim(), ...message.media.map((m) => `[attachment: ${m.contentType}]`)].filter((l) => l.length > 0);
  return lines.join('\n');
}

/** The clientId of an inbound message: the provider's id, so a provider retry is acknowledged and never answered twice. */
export const clientIdOf = (message: Pick<InboundMessage, 'channel' | 'providerMessageId'>): string =>
  `${message.channel}-${message.providerMessageId.replace(/[^A-Za-z0-9_.:-]/g, '_')}`;

/** The newest message the business sent in a conversation (bot, agent or system), if any among the last few. */
async function lastBusinessMessage(deps: Pick<ChatDeps, 'conversations'>, conversation: ConversationRecord): Promise<MessageView | undefined> {
  const WINDOW = 6;
  const recent = await deps.conversations.listMessages(conversation.tenantId, conversation.conversationId, Math.max(0, conversation.messageCount - WINDOW), WINDOW + 1);
  return recent.filter((m) => m.role !== 'customer').at(-1);
}

/**
 * The quick replies a customer may be answering by number: those of the business's last message (a bot's
 * numbered slots, the CSAT scale). An agent's message after it has none, so a "2" then is just "2".
 */
export async function lastQuickReplies(deps: Pick<ChatDeps, 'conversations'>, conversation: ConversationRecord): Promise<readonly QuickReply[] | undefined> {
  return (await lastBusinessMessage(deps, conversation))?.quickReplies;
}

/**
 * How long a score typed back answers the CSAT question on WhatsApp, SMS or Messenger. After it, "5" or "cinco" is a
 * new message (a party of five, a fifth of the month) and starts a new conversation the concierge answers.
 */
export const CSAT_ANSWER_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * A closed conversation whose last word is the CSAT question, asked within `CSAT_ANSWER_WINDOW_MS`: a score typed
 * back belongs to it, not to a new conversation.
 */
async function awaitsCsatAnswer(deps: Pick<ChatDeps, 'conversations' | 'clock'>, conversation: ConversationRecord, text: string): Promise<boolean> {
  if (conversation.mode !== 'closed' || csatScoreIn(text) === undefined) return false;
  const last = await lastBusinessMessage(deps, conversation);
  if (!last || deps.clock.now().getTime() - Date.parse(last.createdAt) > CSAT_ANSWER_WINDOW_MS) return false;
  const scale = handoffText.csatOptions().map((q) => q.text);
  return last.role === 'system' && JSON.stringify(last.quickReplies?.map((q) => q.text)) === JSON.stringify(scale);
}

/**
 * The identity's open conversation, or a new one (after the last was closed, or for a first message). A score
 * answering the CSAT question of the just-closed conversation goes to that conversation (the handoff records
 * it, as it does for the widget). A new
 * conversation on a phone channel knows the customer's phone (the booking dialog does not ask for it) and
 * is recorded under that customer.
 */
export async function conversationFor(deps: ChannelDeps, message: InboundMessage): Promise<{ conversation: ConversationRecord; started: boolean }> {
  const identity = identityOf(message.channel, message.from);
  const keep = async (current: ConversationRecord): Promise<boolean> => current.mode !== 'closed' || (await awaitsCsatAnswer(deps, current, message.text));
  return conversationOfIdentity(deps, message.tenantId, identity, keep, async (replacing) => {
    const profile = await deps.tenants.getProfile(message.tenantId);
    if (!profile) throw new DomainError('forbidden', 'unknown tenant');
    const detected = detectLanguage(message.text, profile.languages[0] ?? 'en');
    const lang = profile.languages.includes(detected) ? detected : (profile.languages[0] ?? 'en');
    return startChannelConversation(deps, message.tenantId, message.channel, identity, lang, { replacing }, async (c) => {
      await deps.events.publish([{ type: 'conversation.started', tenantId: message.tenantId, detail: { conversationId: c.conversationId, channel: message.channel, lang } }]);
    });
  });
}

/** What became of an inbound message. */
export type ChannelOutcome =
  | { readonly outcome: 'empty' }
  | { readonly outcome: 'duplicate'; readonly conversationId: string; readonly seq: number }
  | { readonly outcome: 'stored'; readonly conversationId: string; readonly seq: number; readonly reply?: MessageView };

/**
 * An SMS keyword (STOP / HELP, and START / YES from a number that opted out — a "yes" from anyone else answers
 * the concierge's question), or a WhatsApp STOP / START (core/channels/policy.ts): kept in the conversation and
 * answered by the policy's text, never by the concierge.
 */
async function channelKeyword(deps: ChannelDeps, message: InboundMessage & { readonly channel: KeywordChannel }, conversation: ConversationRecord, text: string): Promise<ChannelOutcome | undefined> {
  const command = optOutCommand(text, message.channel);
  const address = optOutAddress(message.channel, message.from);
  if (!command || (command === 'start' && !(await isOptedOut(deps.optOuts, message.tenantId, address)))) return undefined;
  const clientId = clientIdOf(message);
  const stored = await deps.conversations.appendMessage(message.tenantId, conversation.conversationId, { role: 'customer', text, clientId });
  // A retry of a stored keyword (a duplicate) writes the opt-out / opt-in again: the attempt that stored it may have
  // failed before writing it. Unless a later keyword was recorded since: a late retry of START never undoes a STOP.
  const superseded = stored.duplicate && ((await deps.optOuts.getOptOut(message.tenantId, address))?.at ?? '') > stored.message.createdAt;
  const [profile, catalogue] = await Promise.all([deps.tenants.getProfile(message.tenantId), deps.answer.catalogue?.catalogue(message.tenantId)]);
  const phone = catalogue?.business.phone;
  const result = superseded
    ? undefined
    : await handleSmsKeyword(deps, {
        tenantId: message.tenantId,
        from: message.from,
        text,
        channel: message.channel,
        businessName: profile?.name ?? message.tenantId,
        ...(phone ? { businessPhone: phone } : {}),
      });
  if (stored.duplicate) return { outcome: 'duplicate', conversationId: conversation.conversationId, seq: stored.message.seq };
  await broadcast(deps, message.tenantId, conversation.conversationId, { type: 'message', ...stored.message });
  if (!result?.reply) return { outcome: 'stored', conversationId: conversation.conversationId, seq: stored.message.seq };
  const reply = await deps.conversations.appendMessage(message.tenantId, conversation.conversationId, { role: 'system', text: result.reply, clientId: `${clientId}-keyword` });
  if (!reply.duplicate) await deliverToCustomer(deps, conversation, reply.message, result.confirmsOptOut ? 'optout' : 'system');
  return { outcome: 'stored', conversationId: conversation.conversationId, seq: stored.message.seq, reply: reply.message };
}

/** One inbound message into its conversation: stored once, answered (or left to the person who owns the thread). */
export async function receiveChannelMessage(deps: ChannelDeps, message: InboundMessage): Promise<ChannelOutcome> {
  const text = storedTextOf(message);
  if (text.length === 0) return { outcome: 'empty' };
  const { conversation } = await conversationFor(deps, message);
  if (message.channel === 'sms' || message.channel === 'whatsapp') {
    const keyword = await channelKeyword(deps, { ...message, channel: message.channel }, conversation, text);
    if (keyword) return keyword;
  }
  // A numbered option typed back ("2") means the option's text: stored as typed, answered as meant (docs/decisions.md).
  const meant = message.channel === 'messenger' ? text : resolveNumberedReply(text, await lastQuickReplies(deps, conversation), message.channel);
  const result = await receiveCustomerMessage(deps, {
    tenantId: message.tenantId,
    conversation,
    text,
    clientId: clientIdOf(message),
    channel: message.channel,
    ...(meant !== text ? { meant } : {}),
    attachments: attachmentsOf(message),
  });
  if (result.duplicate) return { outcome: 'duplicate', conversationId: conversation.conversationId, seq: result.message.seq };
  return { outcome: 'stored', conversationId: conversation.conversationId, seq: result.message.seq, ...(result.answered ? { reply: result.answered } : {}) };
}
