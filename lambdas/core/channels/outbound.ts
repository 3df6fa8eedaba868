/**
 * Outbound channel delivery: one `message.send` event (a stored bot / agent / system message of a WhatsApp, SMS or
 * Messenger conversation) becomes provider messages — Twilio for WhatsApp and SMS, Meta's Send API for Messenger, or
 * the local channel outbox when no credentials exist.
 *
 * Once per segment: a delivery record (tenant + conversation + seq + segment) is claimed with a conditional put
 * BEFORE the provider is called, so a redelivered event sends nothing twice. A retryable failure (429, 5xx, network)
 * is retried here with exponential backoff and full jitter, within a time budget that leaves the invocation room to
 * finish (a provider that hangs until its 10 s timeout is not called four times in a 30 s function), then the claim
 * is released and the error thrown, so Lambda's retries and the rule's dead-letter queue take over. A permanent refusal (4xx) is recorded on the delivery
 * and in the failed deliveries, and not retried. A crash between the claim and the provider's answer, or a failure to
 * record the provider's acceptance, leaves the claim (`sending`): the segment is not sent again — at most once
 * (docs/decisions.md).
 *
 * Message text and phone numbers never reach a log line or a delivery record (addresses are masked).
 */
import type { Clock, ConversationRecord, ConversationStore, TenantStore } from '../ports';
import type { MessageView } from '../protocol';
import { formatForChannel, stripMarkdown, type ButtonReply, type OutboundChannel, type Segment } from './format';
import { decideSend, isOptedOut, optOutAddress, templateVariables, WHATSAPP_OPT_OUT_KINDS, type OptOutStore, type ParkReason, type SendKind, type TemplateSlot } from './policy';

export type DeliveryProvider = 'twilio' | 'meta' | 'outbox';

/** Twilio's message statuses, plus ours: `sending` (claimed, provider not yet answered), `parked`, `refused`. */
export const deliveryStatuses = ['sending', 'accepted', 'queued', 'sent', 'delivered', 'read', 'undelivered', 'failed', 'parked', 'refused'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** Status order: a status callback never moves a delivery backwards (callbacks arrive out of order). */
export const statusRank: Readonly<Record<DeliveryStatus, number>> = {
  sending: 0,
  accepted: 1,
  queued: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  undelivered: 6,
  failed: 6,
  parked: 6,
  refused: 6,
};

export interface DeliveryRef {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly segment: number;
}

export interface DeliveryRecord extends DeliveryRef {
  readonly channel: OutboundChannel;
  readonly kind: SendKind;
  readonly status: DeliveryStatus;
  /** The recipient, masked (`…4567`). */
  readonly to: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Identifies the claim; a release only removes its own. */
  readonly attemptId: string;
  readonly segments: number;
  readonly provider?: DeliveryProvider;
  readonly providerMessageId?: string;
  /** Provider error code (Twilio `21610`, Meta `551`…) or ours. */
  readonly errorCode?: string;
  /** Why it was not sent or failed (`whatsapp_window_closed`, `sms_opted_out`, a provider message without PII). */
  readonly reason?: string;
  /** `template:<slot>` or `tag:<TAG>` when not free-form. */
  readonly via?: string;
}

/** A provider message, ready to send. */
export interface ChannelSend extends DeliveryRef {
  readonly channel: OutboundChannel;
  readonly kind: SendKind;
  /** E.164 number (SMS, WhatsApp) or page-scoped id (Messenger). */
  readonly to: string;
  readonly text: string;
  readonly buttons?: readonly ButtonReply[];
  /** WhatsApp outside the window: an approved template (Content SID) and its variables. */
  readonly template?: { readonly contentSid: string; readonly variables: Readonly<Record<string, string>> };
  /** Messenger outside the standard window. */
  readonly tag?: 'HUMAN_AGENT' | 'CONFIRMED_EVENT_UPDATE';
  /** Twilio: where delivery statuses are posted. */
  readonly statusCallback?: string;
}

/** A provider refusal: `permanent` (4xx) is recorded and not retried; otherwise it is retried. */
export class DeliveryError extends Error {
  constructor(
    readonly permanent: boolean,
    /** Provider error code or HTTP status, safe to record. */
    readonly code: string,
    message: string,
    /** From a Retry-After header. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface ChannelTransport {
  readonly provider: DeliveryProvider;
  send(message: ChannelSend): Promise<{ readonly providerMessageId: string; readonly status?: DeliveryStatus }>;
}

/** The transport of a tenant's channel: its credentials, else the environment's, else the outbox. */
export interface ResolvedTransport {
  readonly transport: ChannelTransport;
  /** Approved WhatsApp templates (Twilio credentials). */
  readonly templates?: Partial<Record<TemplateSlot, string>>;
}

export interface ChannelTransports {
  forChannel(tenantId: string, channel: OutboundChannel): Promise<ResolvedTransport>;
}

export interface DeliveryStore {
  /** Writes the record when none exists for its ref; false when one does (already sent, sending, parked…). */
  claim(record: DeliveryRecord): Promise<boolean>;
  /** Removes a `sending` claim made by `attemptId` (the provider surely did not take it), so a retry may send. */
  release(ref: DeliveryRef, attemptId: string): Promise<void>;
  /** The provider accepted the segment. */
  markAccepted(ref: DeliveryRef, update: { provider: DeliveryProvider; providerMessageId: string; status: DeliveryStatus }): Promise<void>;
  /** A permanent failure: recorded on the delivery and kept in the failed deliveries. */
  markFailed(record: DeliveryRecord, update: { errorCode: string; reason: string }): Promise<void>;
  /** Records a parked (or refused) delivery in the failed deliveries list as well. */
  recordFailure(record: DeliveryRecord): Promise<void>;
  /** A status callback: moves the delivery forward (never back); `unknown` when there is no such delivery. */
  applyStatus(
    ref: DeliveryRef,
    update: { providerMessageId: string; status: DeliveryStatus; errorCode?: string; at: string },
  ): Promise<'updated' | 'unchanged' | 'unknown'>;
  listDeliveries(tenantId: string, conversationId: string): Promise<DeliveryRecord[]>;
}

/** Where a conversation's customer is reached. */
export interface ChannelDirectory {
  addressOf(tenantId: string, conversation: ConversationRecord): Promise<string | undefined>;
}

/** Tells the tenant's online staff that a message was not sent (window closed). */
export interface StaffNotices {
  messageParked(tenantId: string, conversation: Pick<ConversationRecord, 'conversationId' | 'mode'>, reason: ParkReason): Promise<void>;
}

export interface RetryPolicy {
  /** Provider calls per segment within one invocation. @default 4 */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /**
   * Milliseconds all provider calls of one send (every segment) may take, retries and their waits included: no
   * retry starts that could not finish within it, its call lasting `callTimeoutMs`. @default 22000 (the sender
   * function has 30 s)
   */
  readonly budgetMs: number;
  /** The longest one provider call takes before it times out (the transports' `timeoutMs`). @default 10000 */
  readonly callTimeoutMs: number;
  /** Milliseconds on a monotonic clock. @default performance.now */
  readonly now: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  budgetMs: 22_000,
  callTimeoutMs: 10_000,
  now: () => performance.now(),
};

export interface OutboundDeps {
  readonly conversations: Pick<ConversationStore, 'getConversation' | 'listMessages'>;
  readonly tenants?: TenantStore;
  readonly deliveries: DeliveryStore;
  readonly optOuts: OptOutStore;
  readonly transports: ChannelTransports;
  readonly directory: ChannelDirectory;
  readonly clock: Clock;
  readonly notices?: StaffNotices;
  /** Twilio's StatusCallback URL for a delivery; none when the public API URL is unknown. */
  readonly statusCallbackUrl?: (ref: DeliveryRef) => string | undefined;
  readonly retry?: Partial<RetryPolicy>;
  readonly ids: () => string;
}

export interface SendRequest {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly channel: OutboundChannel;
  readonly kind: SendKind;
}

export type SendOutcome =
  | { readonly outcome: 'sent'; readonly provider: DeliveryProvider; readonly segments: number; readonly duplicates: number }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'parked'; readonly reason: ParkReason }
  | { readonly outcome: 'refused'; readonly reason: OptOutReason }
  | { readonly outcome: 'failed'; readonly errorCode: string }
  | { readonly outcome: 'skipped'; readonly reason: string };

/** Why a message is not sent to a customer who opted out (core/channels/policy.ts keywords). */
export type OptOutReason = 'sms_opted_out' | 'whatsapp_opted_out';

/**
 * An opted-out SMS number gets nothing but the one confirmation of a Spanish opt-out (kind `optout`: Twilio confirms
 * its own keywords); a WhatsApp number that said STOP gets no reminders, follow-ups or satisfaction questions.
 */
async function optOutRefusal(deps: Pick<OutboundDeps, 'optOuts'>, tenantId: string, channel: OutboundChannel, kind: SendKind, to: string): Promise<OptOutReason | undefined> {
  if (channel === 'sms') return kind !== 'optout' && (await isOptedOut(deps.optOuts, tenantId, optOutAddress('sms', to))) ? 'sms_opted_out' : undefined;
  if (channel === 'whatsapp' && WHATSAPP_OPT_OUT_KINDS.has(kind)) return (await isOptedOut(deps.optOuts, tenantId, optOutAddress('whatsapp', to))) ? 'whatsapp_opted_out' : undefined;
  return undefined;
}

/** `+353861234567` → `…4567`; a PSID → `…` and its last 4. */
export function maskAddress(address: string): string {
  return `…${address.slice(-4)}`;
}

/** Whether a provider call started after `waitMs` more could run past `deadline`. */
function overruns(policy: RetryPolicy, deadline: number, waitMs = 0): boolean {
  return policy.now() + waitMs + policy.callTimeoutMs > deadline;
}

/**
 * Retries a provider call on retryable DeliveryErrors: exponential backoff with full jitter, or the provider's
 * Retry-After; no retry starts after `deadline` (a `policy.now()` reading) less the wait and one call's timeout.
 */
export async function withRetries<T>(call: (attempt: number) => Promise<T>, policy: RetryPolicy, deadline = policy.now() + policy.budgetMs): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      const retryable = error instanceof DeliveryError && !error.permanent;
      if (!retryable || attempt >= policy.attempts) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = error.retryAfterMs !== undefined ? Math.min(error.retryAfterMs, policy.maxDelayMs) : policy.random() * ceiling;
      if (overruns(policy, deadline, delay)) throw error;
      await policy.sleep(delay);
    }
  }
}

/** When the customer last wrote in the conversation (their identity's one open conversation). */
export async function lastInboundAt(deps: Pick<OutboundDeps, 'conversations'>, tenantId: string, conversationId: string, seq: number): Promise<string | undefined> {
  const recent = await deps.conversations.listMessages(tenantId, conversationId, Math.max(0, seq - 100), 200);
  let last: string | undefined;
  for (const m of recent) if (m.role === 'customer' && (!last || m.createdAt > last)) last = m.createdAt;
  return last;
}

async function messageAt(deps: OutboundDeps, request: SendRequest): Promise<MessageView | undefined> {
  const [message] = await deps.conversations.listMessages(request.tenantId, request.conversationId, request.seq - 1, 1);
  return message?.seq === request.seq ? message : undefined;
}

/** Sends one stored message to the customer on its channel (see the module comment). */
export async function sendChannelMessage(deps: OutboundDeps, request: SendRequest): Promise<SendOutcome> {
  const { tenantId, conversationId, seq, channel, kind } = request;
  const conversation = await deps.conversations.getConversation(tenantId, conversationId);
  if (!conversation) return { outcome: 'skipped', reason: 'no such conversation' };
  if (conversation.channel !== channel) return { outcome: 'skipped', reason: `the conversation is on ${conversation.channel}` };
  const message = await messageAt(deps, request);
  if (!message) return { outcome: 'skipped', reason: 'no such message' };
  if (message.role === 'customer') return { outcome: 'skipped', reason: 'customer messages are not sent back' };
  const to = await deps.directory.addressOf(tenantId, conversation);
  if (!to) return { outcome: 'skipped', reason: 'no address for the conversation' };

  const now = deps.clock.now();
  const base = {
    tenantId,
    conversationId,
    seq,
    channel,
    kind,
    to: maskAddress(to),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };

  const optedOut = await optOutRefusal(deps, tenantId, channel, kind, to);
  if (optedOut) {
    const record: DeliveryRecord = { ...base, segment: 0, segments: 1, status: 'refused', reason: optedOut, attemptId: deps.ids() };
    if (await deps.deliveries.claim(record)) await deps.deliveries.recordFailure(record);
    return { outcome: 'refused', reason: optedOut };
  }

  const { transport, templates } = await deps.transports.forChannel(tenantId, channel);
  const decision = decideSend({
    channel,
    kind,
    lastInboundAt: channel === 'sms' ? undefined : await lastInboundAt(deps, tenantId, conversationId, seq),
    now,
    ...(templates ? { templates } : {}),
  });

  if (decision.mode === 'park') {
    const record: DeliveryRecord = { ...base, segment: 0, segments: 1, status: 'parked', reason: decision.reason, attemptId: deps.ids() };
    if (!(await deps.deliveries.claim(record))) return { outcome: 'duplicate' };
    await deps.deliveries.recordFailure(record);
    await deps.notices?.messageParked(tenantId, conversation, decision.reason);
    return { outcome: 'parked', reason: decision.reason };
  }

  const segments: Segment[] =
    decision.mode === 'template' ? [{ text: stripMarkdown(message.text) }] : formatForChannel(channel, { text: message.text, lang: conversation.context?.lang ?? conversation.lang, ...optional(message) });
  const via = decision.mode === 'template' ? `template:${decision.slot}` : decision.mode === 'tagged' ? `tag:${decision.tag}` : undefined;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...deps.retry };
  const deadline = policy.now() + policy.budgetMs;
  let sent = 0;
  let duplicates = 0;

  for (const [index, segment] of segments.entries()) {
    const ref: DeliveryRef = { tenantId, conversationId, seq, segment: index };
    // No segment is started that its call could take past the budget: the rest goes on Lambda's retry, which finds
    // the segments already sent claimed.
    if (overruns(policy, deadline)) throw new DeliveryError(false, 'budget', 'the send ran out of time; the remaining segments go on the retry');
    const record: DeliveryRecord = { ...base, ...ref, segments: segments.length, status: 'sending', attemptId: deps.ids(), provider: transport.provider, ...(via ? { via } : {}) };
    if (!(await deps.deliveries.claim(record))) {
      duplicates++;
      continue;
    }
    const callback = transport.provider === 'twilio' ? deps.statusCallbackUrl?.(ref) : undefined;
    const send: ChannelSend = {
      ...ref,
      channel,
      kind,
      to,
      text: segment.text,
      ...(segment.buttons ? { buttons: segment.buttons } : {}),
      ...(decision.mode === 'template' ? { template: { contentSid: decision.contentSid, variables: templateVariables(segment.text) } } : {}),
      ...(decision.mode === 'tagged' ? { tag: decision.tag } : {}),
      ...(callback ? { statusCallback: callback } : {}),
    };
    let accepted: Awaited<ReturnType<ChannelTransport['send']>>;
    try {
      accepted = await withRetries(() => transport.send(send), policy, deadline);
    } catch (error) {
      if (error instanceof DeliveryError && error.permanent) {
        await deps.deliveries.markFailed(record, { errorCode: error.code, reason: error.message });
        // Twilio 21610: the number replied STOP to the sender; remember it so nothing is tried again.
        if (channel === 'sms' && error.code === '21610') {
          await deps.optOuts.putOptOut(tenantId, { address: to, optedOut: true, at: deps.clock.now().toISOString(), keyword: 'PROVIDER' });
        }
        return { outcome: 'failed', errorCode: error.code };
      }
      // Retryable (or unknown): give the claim back so EventBridge's retry can send it, then fail the invocation.
      await deps.deliveries.release(ref, record.attemptId);
      throw error;
    }
    // The provider took it: a failure to record that keeps the claim (`sending`), so a retry never sends it again.
    await deps.deliveries.markAccepted(ref, { provider: transport.provider, providerMessageId: accepted.providerMessageId, status: accepted.status ?? 'sent' });
    sent++;
  }
  if (sent === 0 && duplicates > 0) return { outcome: 'duplicate' };
  return { outcome: 'sent', provider: transport.provider, segments: sent, duplicates };
}

function optional(message: MessageView): { quickReplies?: MessageView['quickReplies']; sources?: MessageView['sources'] } {
  return {
    ...(message.quickReplies && message.quickReplies.length > 0 ? { quickReplies: message.quickReplies } : {}),
    ...(message.sources && message.sources.length > 0 ? { sources: message.sources } : {}),
  };
}
