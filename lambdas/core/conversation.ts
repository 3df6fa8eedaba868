/**
 * Conversation use cases. Web chat: start or resume a conversation (hello, newConversation) and send a
 * message. On every channel: `receiveCustomerMessage` (store, publish, answer) and `deliverToCustomer`
 * (WebSocket subscribers, and `message.send` for WhatsApp / SMS / Messenger senders). Transport-free:
 * frames go out through the ConnectionPusher port, events through the EventPublisher port.
 */
import { createHash } from 'node:crypto';
import { answerQuestion, type AnswerDeps } from './answer/concierge';
import type { KnownContact } from './answer/context';
import { conversationIdentity, conversationOfIdentity, linkConversation, type IdentityStore } from './channels/identity';
import { leaksSecrets } from './answer/guard';
import { detectLanguage } from './answer/language';
import { StreamBatcher } from './stream-batcher';
import type { SendKind } from './channels/policy';
import { DomainError } from './errors';
import type {
  Clock,
  ConnectionPusher,
  ConnectionStore,
  ConversationRecord,
  ConversationStore,
  EventPublisher,
  StartConversationOptions,
  TenantProfile,
  TenantStore,
  TurnTicket,
} from './ports';
import { IDEMPOTENCY_KEY } from './ports';
import type { MessageAttachment, MessageView, ServerFrame } from './protocol';
import type { z } from 'zod';
import type { helloFrame, newConversationFrame, sendMessageFrame } from './protocol';

export interface ChatDeps {
  readonly tenants: TenantStore;
  readonly conversations: ConversationStore;
  readonly connections: ConnectionStore;
  readonly pusher: ConnectionPusher;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly answer: AnswerDeps;
  /** Links the conversation to a customer once they give a phone or e-mail (one customer across channels); absent: no links. */
  readonly identities?: IdentityStore;
}

/** Who is on the other end of a WebSocket connection, as the $connect authorizer established. */
export interface ChatCaller {
  readonly tenantId: string;
  readonly visitorId: string;
  readonly connectionId: string;
  /** The client's address as API Gateway saw it (`identity.sourceIp`), for the per-address message limit. */
  readonly sourceIp?: string;
}

async function profileOf(deps: ChatDeps, tenantId: string): Promise<TenantProfile> {
  const profile = await deps.tenants.getProfile(tenantId);
  if (!profile) throw new DomainError('forbidden', 'unknown tenant');
  return profile;
}

function defaultLang(profile: TenantProfile, requested?: string): string {
  const base = requested?.slice(0, 2);
  if (base && profile.languages.includes(base)) return base;
  return profile.languages[0] ?? 'en';
}

/** Sends a frame to every connection watching the conversation; forgets connections that are gone. */
export async function broadcast(deps: Pick<ChatDeps, 'connections' | 'pusher'>, tenantId: string, conversationId: string, frame: ServerFrame): Promise<void> {
  const subscribers = await deps.connections.listSubscribers(tenantId, conversationId);
  await Promise.all(
    subscribers.map(async (connectionId) => {
      const delivered = await deps.pusher.push(connectionId, frame);
      if (!delivered) await deps.connections.removeConnection(tenantId, connectionId);
    }),
  );
}

async function start(deps: ChatDeps, caller: ChatCaller, lang: string, options?: StartConversationOptions): Promise<ConversationRecord> {
  const conversation = await deps.conversations.startConversation(caller.tenantId, caller.visitorId, lang, 'web', options);
  await deps.events.publish([
    { type: 'conversation.started', tenantId: caller.tenantId, detail: { conversationId: conversation.conversationId, channel: 'web', lang } },
  ]);
  return conversation;
}

/** Subscribes first, then replays: a message written during the replay still arrives live, so nothing is lost. */
async function attach(deps: ChatDeps, caller: ChatCaller, conversation: ConversationRecord, afterSeq: number): Promise<void> {
  await deps.connections.subscribe(caller.tenantId, caller.connectionId, conversation.conversationId);
  const missed = await deps.conversations.listMessages(caller.tenantId, conversation.conversationId, afterSeq);
  for (const message of missed) await deps.pusher.push(caller.connectionId, { type: 'message', ...message });
  const lastSeq = missed.reduce((max, m) => Math.max(max, m.seq), afterSeq);
  await deps.pusher.push(caller.connectionId, {
    type: 'session',
    id: `session:${conversation.conversationId}:${lastSeq}`,
    conversationId: conversation.conversationId,
    mode: conversation.mode,
    lastSeq,
    lang: conversation.lang,
    // Read receipts so far (core/receipts.ts): a reconnecting widget shows "Seen" without waiting for a new one.
    ...(conversation.customerReadSeq !== undefined ? { customerReadSeq: conversation.customerReadSeq } : {}),
    ...(conversation.staffReadSeq !== undefined ? { staffReadSeq: conversation.staffReadSeq } : {}),
  });
}

export async function hello(deps: ChatDeps, caller: ChatCaller, frame: z.infer<typeof helloFrame>): Promise<void> {
  const profile = await profileOf(deps, caller.tenantId);
  let conversation: ConversationRecord | undefined;
  if (frame.conversationId) {
    const asked = await deps.conversations.getConversation(caller.tenantId, frame.conversationId);
    // A conversation id from another visitor is treated as unknown: ids are not capabilities.
    if (asked && asked.visitorId === caller.visitorId) conversation = asked;
  }
  const resumed = conversation !== undefined;
  // The visitor's current conversation, or a new one; two tabs saying hello at once share one (decision 93).
  conversation ??= (
    await conversationOfIdentity(
      deps,
      caller.tenantId,
      caller.visitorId,
      async () => true,
      (replacing) => start(deps, caller, defaultLang(profile, frame.lang), { replacing }),
    )
  ).conversation;
  await attach(deps, caller, conversation, resumed ? (frame.lastSeq ?? 0) : 0);
}

export async function newConversation(deps: ChatDeps, caller: ChatCaller, frame: z.infer<typeof newConversationFrame>): Promise<void> {
  const profile = await profileOf(deps, caller.tenantId);
  const conversation = await start(deps, caller, defaultLang(profile, frame.lang));
  await attach(deps, caller, conversation, 0);
}

export async function sendMessage(deps: ChatDeps, caller: ChatCaller, frame: z.infer<typeof sendMessageFrame>): Promise<void> {
  const connection = await deps.connections.getConnection(caller.tenantId, caller.connectionId);
  if (!connection?.conversationId) throw new DomainError('no_conversation', 'send a hello frame before sending messages');
  const conversation = await deps.conversations.getConversation(caller.tenantId, connection.conversationId);
  if (!conversation) throw new DomainError('no_conversation', 'the conversation no longer exists; send hello again');
  await receiveCustomerMessage(deps, {
    tenantId: caller.tenantId,
    conversation,
    text: frame.text,
    clientId: frame.clientId,
    channel: 'web',
    ...(frame.lang ? { lang: frame.lang } : {}),
    // The sender's widget learns the message's seq first (its resends are acknowledged the same way).
    onStored: async (message) => {
      await deps.pusher.push(caller.connectionId, { type: 'ack', id: `ack:${frame.clientId}`, clientId: frame.clientId, seq: message.seq });
    },
  });
}

/** What a customer message is, wherever it came from (the widget, or a channel webhook through the bus). */
export interface CustomerMessageInput {
  readonly tenantId: string;
  readonly conversation: ConversationRecord;
  readonly text: string;
  /** The widget's message id, or the provider's message id on other channels: a replay is stored and answered once. */
  readonly clientId: string;
  readonly channel: ConversationRecord['channel'];
  /** The language the customer's client asked for (the widget's page language). */
  readonly lang?: string;
  /**
   * What the customer meant, when it differs from what they typed: a numbered option ("2") on SMS / WhatsApp
   * resolved to the option's text (core/channels/format.ts resolveNumberedReply). The typed text is stored; the
   * concierge (and the booking dialog) answers this one. @default text
   */
  readonly meant?: string;
  /** The photos, voice notes and files sent with it on a provider channel (kept for staff, see `attachmentsOf`). */
  readonly attachments?: readonly MessageAttachment[];
  /** Called once the message is stored (also for a duplicate), before anything else happens. */
  readonly onStored?: (message: MessageView, duplicate: boolean) => Promise<void>;
}

/**
 * The streamed preview of an answer a language model is writing: deltas batched into ~100 ms `chunk` frames
 * (API Gateway bills per frame) for whoever watches the conversation. Chunks are a preview, never stored; the
 * guarded, stored answer follows as a `message` frame and replaces them. Should the text streamed so far
 * look like a leak (core/answer/guard.ts), the preview stops there; the final answer is guarded as always.
 */
function previewStream(deps: ChatDeps, tenantId: string, conversationId: string, replyTo: string): { push: (delta: string) => void; finish: () => Promise<void> } {
  let seen = '';
  let stopped = false;
  const batcher = new StreamBatcher(async (chunk) => {
    await broadcast(deps, tenantId, conversationId, { type: 'chunk', replyTo, index: chunk.index, text: chunk.text });
  });
  return {
    push: (delta: string) => {
      if (stopped) return;
      seen += delta;
      if (leaksSecrets(seen)) {
        stopped = true;
        return;
      }
      batcher.push(delta);
    },
    finish: async () => {
      await batcher.finish();
    },
  };
}

/**
 * How long a customer message is claimed by the invocation handling it: longer than any invocation that handles one
 * lives (29-30 s, lib/declaration.ts), shorter than Lambda's first retry of an asynchronous invocation (~1 minute).
 * An invocation that fails gives its claim up at once; one that dies keeps it until then.
 */
export const MESSAGE_CLAIM_MS = 60_000;

/**
 * The one pipeline of a customer message on any channel: store it (once per clientId), show it to whoever
 * watches, publish `message.received` (stats count it once; the handoff rule picks it up while a person is
 * involved), stay silent when a person owns the thread, else answer through the concierge (the booking
 * dialog included) and deliver the reply on the conversation's channel.
 *
 * Nothing stored is left unhandled: the message is claimed by this invocation (NewMessage.claimMs) and marked
 * handled once answered (or once a person owns it). Should anything fail before that, the claim is given up, and
 * the retry of the same message (Lambda's retry of the channel event, a resend with the same clientId) handles it
 * instead of taking it for a duplicate; an invocation that died without giving it up is taken over after
 * MESSAGE_CLAIM_MS. `message.received` carries an idempotency key, so a resumed message is counted once.
 */
export async function receiveCustomerMessage(deps: ChatDeps, input: CustomerMessageInput): Promise<{ message: MessageView; duplicate: boolean; answered?: MessageView }> {
  const { tenantId, conversation, channel } = input;
  const conversationId = conversation.conversationId;
  const profile = await profileOf(deps, tenantId);

  const appended = await deps.conversations.appendMessage(tenantId, conversationId, {
    role: 'customer',
    text: input.text,
    clientId: input.clientId,
    ...(input.attachments?.length ? { attachments: input.attachments } : {}),
    claimMs: MESSAGE_CLAIM_MS,
  });
  await input.onStored?.(appended.message, appended.duplicate);
  if (appended.duplicate && !appended.resumed) return { message: appended.message, duplicate: true }; // a resend: acknowledged again, answered once
  const stored = { message: appended.message, duplicate: false };

  let settled = false;
  const settle = async (): Promise<void> => {
    if (settled) return;
    await deps.conversations.settleMessage?.(tenantId, conversationId, input.clientId);
    settled = true;
  };
  try {
    await broadcast(deps, tenantId, conversationId, { type: 'message', ...stored.message });
    const question = input.meant ?? input.text;
    const lang = detectLanguage(question, input.lang ?? conversation.lang);
    await deps.events.publish([
      // `mode` routes the message to the handoff (rule HandoffCustomerMessages) while a person is involved.
      {
        type: 'message.received',
        tenantId,
        detail: { conversationId, seq: stored.message.seq, channel, lang, mode: conversation.mode, [IDEMPOTENCY_KEY]: receivedKey(conversationId, stored.message.seq) },
      },
    ]);
    const result =
      conversation.mode !== 'bot'
        ? stored // a person owns the thread: the concierge stays silent
        : // One answer at a time per conversation: a message sent while the previous one is being answered waits for
          // that answer, then is answered from the state it left (its context, its mode, its reply in the history).
          await withTurn(deps, tenantId, conversationId, stored.message, async (fresh) => {
            const current = fresh ?? conversation;
            if (current.mode !== 'bot') return stored; // the answer before this one handed the thread to a person
            return answerInTurn(deps, input, profile, current, stored, question, settle);
          });
    await settle();
    return result;
  } catch (error) {
    // Not handled: the claim is given up, so that the retry (or a resend) handles this message.
    if (!settled) await deps.conversations.releaseMessage?.(tenantId, conversationId, input.clientId).catch(() => undefined);
    throw error;
  }
}

/**
 * The idempotency key of a message's `message.received`: the conversation id hashed, because analytics keeps the keys
 * it applied for a while, and an erased conversation's id must not outlive it there (core/privacy).
 */
export function receivedKey(conversationId: string, seq: number): string {
  return `message.received:${createHash('sha256').update(`${conversationId}:${seq}`).digest('base64url').slice(0, 32)}`;
}

/** How long one answer may hold a conversation's turn: an invocation that dies frees it after this. */
const TURN_LEASE_MS = 30_000;
/**
 * How long a message waits for the answer before its own; then it is answered anyway. Short: the wait and the
 * answer share one invocation (29 s), and a hosted model's retries may need most of it (adapters/llm/retry.ts).
 */
const TURN_WAIT_MS = 8_000;
/** The longest pause between two looks at the turn: the next in line takes it soon after it is given back. */
const TURN_POLL_MAX_MS = 400;

/**
 * Runs `work` holding the conversation's answering turn, first come first served by message seq: the message tries
 * for the turn (joining the conversation's line as it does), then waits with backoff and jitter until nobody holds it
 * and no earlier message waits; `work` gets the conversation as it stands once the turn is taken (or the wait is
 * over: then it answers anyway).
 */
async function withTurn<T>(
  deps: ChatDeps,
  tenantId: string,
  conversationId: string,
  message: Pick<MessageView, 'id' | 'seq'>,
  work: (current: ConversationRecord | undefined) => Promise<T>,
): Promise<T> {
  const { joinTurnLine, takeTurn, releaseTurn } = deps.conversations;
  if (!joinTurnLine || !takeTurn || !releaseTurn) return work(await deps.conversations.getConversation(tenantId, conversationId));
  const started = deps.clock.now().getTime();
  const ticket: TurnTicket = { owner: message.id, seq: message.seq, expiresAt: started + TURN_WAIT_MS + TURN_LEASE_MS };
  const deadline = performance.now() + TURN_WAIT_MS;
  let held: ConversationRecord | undefined;
  let inLine = false;
  try {
    for (let attempt = 0; !held && performance.now() < deadline; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(TURN_POLL_MAX_MS, 40 * 2 ** (attempt - 1));
        await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
      }
      const tried = await takeTurn.call(deps.conversations, tenantId, conversationId, ticket, { leaseMs: TURN_LEASE_MS, deferToEarlier: true });
      if (tried.taken) held = tried.taken;
      else if (!tried.inLine && !inLine) await joinTurnLine.call(deps.conversations, tenantId, conversationId, ticket);
      inLine = true;
    }
    return await work(held ?? (await deps.conversations.getConversation(tenantId, conversationId)));
  } finally {
    await releaseTurn.call(deps.conversations, tenantId, conversationId, ticket, held !== undefined).catch(() => undefined);
  }
}

async function answerInTurn(
  deps: ChatDeps,
  input: CustomerMessageInput,
  profile: TenantProfile,
  conversation: ConversationRecord,
  stored: { message: MessageView; duplicate: boolean },
  question: string,
  /** Marks the question handled: called once its answer is stored (what follows is not worth a second answer). */
  settle: () => Promise<void>,
): Promise<{ message: MessageView; duplicate: boolean; answered?: MessageView }> {
  const { tenantId, channel } = input;
  const conversationId = conversation.conversationId;
  await broadcast(deps, tenantId, conversationId, { type: 'typing', on: true, role: 'bot', conversationId });
  try {
    const history = await recentHistory(deps, tenantId, conversationId, stored.message.seq);
    const startedAt = performance.now();
    const stream = previewStream(deps, tenantId, conversationId, stored.message.id);
    const answer = await answerQuestion(deps.answer, {
      onDelta: stream.push,
      tenantId,
      businessName: profile.name,
      question,
      langHint: conversation.lang,
      history,
      ...(conversation.context ? { context: conversation.context } : {}),
      kbVersion: profile.kbVersion,
      conversationId,
      channel: conversation.channel,
      identity: conversationIdentity(conversation),
    });
    await stream.finish();
    const answerMs = Math.round((performance.now() - startedAt) * 100) / 100;
    // A person may have taken the thread while the answer was being written (core/handoff.ts): then the bot stays silent.
    if ((await deps.conversations.getConversation(tenantId, conversationId))?.mode !== 'bot') return stored;
    const reply = await deps.conversations.appendMessage(tenantId, conversationId, {
      role: 'bot',
      text: answer.text,
      sources: answer.sources,
      ...(answer.quickReplies ? { quickReplies: answer.quickReplies } : {}),
    });
    await settle();
    // `replyTo` pairs the answer with its streamed preview (the chunks' replyTo), so the widget replaces the right one.
    await deliverToCustomer(deps, conversation, reply.message, 'reply', stored.message.id);
    await deps.conversations.updateConversationContext?.(tenantId, conversationId, answer.context);
    await linkContact(deps, conversation, answer.context.contact);
    await deps.events.publish([
      {
        type: answer.answered ? 'message.answered' : 'message.unanswered',
        tenantId,
        detail: {
          conversationId,
          seq: reply.message.seq,
          replyTo: stored.message.seq,
          confidence: answer.confidence,
          sourceIds: answer.sources.map((s) => s.id),
          lang: answer.lang,
          channel,
          // What the concierge understood and did (ids only: no customer text or contact details).
          intent: answer.intent,
          handoffOffered: answer.handoffOffered,
          ...(answer.entities.service ? { serviceId: answer.entities.service } : {}),
          ...(answer.entities.staff ? { staffId: answer.entities.staff } : {}),
          ...(answer.entities.when ? { when: answer.entities.when } : {}),
          answerMs,
        },
      },
      ...(answer.handoffRequested
        ? [
            {
              type: 'handoff.requested' as const,
              tenantId,
              detail: {
                conversationId,
                reason: answer.handoffReason ?? (answer.intent === 'human' ? 'customer asked for a person' : 'customer accepted the offer of a person'),
              },
            },
          ]
        : []),
    ]);
    return { ...stored, answered: reply.message };
  } finally {
    await broadcast(deps, tenantId, conversationId, { type: 'typing', on: false, role: 'bot', conversationId });
  }
}

/** A phone or e-mail the customer gave for the first time (or changed) joins this conversation to that customer. */
async function linkContact(deps: ChatDeps, conversation: ConversationRecord, contact: KnownContact | undefined): Promise<void> {
  if (!deps.identities || !contact || (!contact.phone && !contact.email)) return;
  const before = conversation.context?.contact;
  if (before?.phone === contact.phone && before?.email === contact.email) return;
  await linkConversation({ identities: deps.identities, events: deps.events }, conversation, contact);
}

/** What a message to a customer is, for the channel senders (templates outside the WhatsApp window, SMS policy). */
export type DeliveryKind = SendKind;

/**
 * The one way a stored message reaches the customer: pushed to every WebSocket watching the conversation
 * (the web customer, staff inboxes) and, on WhatsApp, SMS and Messenger, published as `message.send` for
 * the channel senders. The kind defaults from the role (bot → reply, agent → agent, system → system).
 * `replyTo` (a bot answer: the id of the customer message it answers) goes on the `message` frame.
 */
export async function deliverToCustomer(
  deps: Pick<ChatDeps, 'connections' | 'pusher' | 'events'>,
  conversation: Pick<ConversationRecord, 'tenantId' | 'conversationId' | 'channel'>,
  message: MessageView,
  kind?: DeliveryKind,
  replyTo?: string,
): Promise<void> {
  const { tenantId, conversationId, channel } = conversation;
  await broadcast(deps, tenantId, conversationId, { type: 'message', ...message, ...(replyTo ? { replyTo } : {}) });
  if (channel === 'web' || message.role === 'customer') return;
  const resolved: DeliveryKind = kind ?? (message.role === 'agent' ? 'agent' : message.role === 'system' ? 'system' : 'reply');
  await deps.events.publish([{ type: 'message.send', tenantId, detail: { conversationId, seq: message.seq, channel, kind: resolved } }]);
}

/** The last few turns before `seq`, oldest first, for follow-ups ("how much is it?") and the language model. */
async function recentHistory(deps: ChatDeps, tenantId: string, conversationId: string, seq: number): Promise<{ role: 'customer' | 'bot' | 'agent'; text: string }[]> {
  const TURNS = 8;
  // Earlier messages, and the replies stored after this question while it waited its turn (they answered earlier
  // questions); later customer messages are questions still to come.
  const messages = await deps.conversations.listMessages(tenantId, conversationId, Math.max(0, seq - TURNS - 1), TURNS + 16);
  return messages
    .filter((m): m is typeof m & { role: 'customer' | 'bot' | 'agent' } => m.role !== 'system' && (m.seq < seq || (m.seq > seq && m.role !== 'customer')))
    .slice(-TURNS)
    .map((m) => ({ role: m.role, text: m.text }));
}
