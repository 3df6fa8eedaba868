/**
 * Web chat use cases: start or resume a conversation, take a customer message
 * and answer it. Transport-free: frames go out through the ConnectionPusher
 * port, events through the EventPublisher port.
 */
import { answerQuestion, type AnswerDeps } from './answer/concierge';
import { detectLanguage } from './answer/language';
import { DomainError } from './errors';
import type {
  Clock,
  ConnectionPusher,
  ConnectionStore,
  ConversationRecord,
  ConversationStore,
  EventPublisher,
  TenantProfile,
  TenantStore,
} from './ports';
import type { ServerFrame } from './protocol';
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
}

/** Who is on the other end of a WebSocket connection, as the $connect authorizer established. */
export interface ChatCaller {
  readonly tenantId: string;
  readonly visitorId: string;
  readonly connectionId: string;
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

async function start(deps: ChatDeps, caller: ChatCaller, lang: string): Promise<ConversationRecord> {
  const conversation = await deps.conversations.startConversation(caller.tenantId, caller.visitorId, lang);
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
  if (!conversation) {
    const current = await deps.conversations.getVisitorConversation(caller.tenantId, caller.visitorId);
    if (current) conversation = await deps.conversations.getConversation(caller.tenantId, current);
  }
  const resumed = conversation !== undefined && conversation.conversationId === frame.conversationId;
  conversation ??= await start(deps, caller, defaultLang(profile, frame.lang));
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
  const conversationId = connection.conversationId;
  const conversation = await deps.conversations.getConversation(caller.tenantId, conversationId);
  if (!conversation) throw new DomainError('no_conversation', 'the conversation no longer exists; send hello again');
  const profile = await profileOf(deps, caller.tenantId);

  const stored = await deps.conversations.appendMessage(caller.tenantId, conversationId, { role: 'customer', text: frame.text, clientId: frame.clientId });
  await deps.pusher.push(caller.connectionId, { type: 'ack', id: `ack:${frame.clientId}`, clientId: frame.clientId, seq: stored.message.seq });
  if (stored.duplicate) return; // a resend: acknowledged again, answered once

  await broadcast(deps, caller.tenantId, conversationId, { type: 'message', ...stored.message });
  const lang = detectLanguage(frame.text, frame.lang ?? conversation.lang);
  await deps.events.publish([
    // `mode` routes the message to the handoff (rule HandoffCustomerMessages) while a person is involved.
    { type: 'message.received', tenantId: caller.tenantId, detail: { conversationId, seq: stored.message.seq, channel: 'web', lang, mode: conversation.mode } },
  ]);
  if (conversation.mode !== 'bot') return; // a person owns the thread: the concierge stays silent

  await broadcast(deps, caller.tenantId, conversationId, { type: 'typing', on: true, role: 'bot' });
  try {
    const history = await recentHistory(deps, caller.tenantId, conversationId, stored.message.seq);
    const startedAt = performance.now();
    const answer = await answerQuestion(deps.answer, {
      tenantId: caller.tenantId,
      businessName: profile.name,
      question: frame.text,
      langHint: conversation.lang,
      history,
      ...(conversation.context ? { context: conversation.context } : {}),
      kbVersion: profile.kbVersion,
      conversationId,
      channel: conversation.channel,
    });
    const answerMs = Math.round((performance.now() - startedAt) * 100) / 100;
    // A person may have taken the thread while the answer was being written (core/handoff.ts): then the bot stays silent.
    if ((await deps.conversations.getConversation(caller.tenantId, conversationId))?.mode !== 'bot') return;
    const reply = await deps.conversations.appendMessage(caller.tenantId, conversationId, {
      role: 'bot',
      text: answer.text,
      sources: answer.sources,
      ...(answer.quickReplies ? { quickReplies: answer.quickReplies } : {}),
    });
    await broadcast(deps, caller.tenantId, conversationId, { type: 'message', ...reply.message });
    await deps.conversations.updateConversationContext?.(caller.tenantId, conversationId, answer.context);
    await deps.events.publish([
      {
        type: answer.answered ? 'message.answered' : 'message.unanswered',
        tenantId: caller.tenantId,
        detail: {
          conversationId,
          seq: reply.message.seq,
          replyTo: stored.message.seq,
          confidence: answer.confidence,
          sourceIds: answer.sources.map((s) => s.id),
          lang: answer.lang,
          channel: 'web',
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
              tenantId: caller.tenantId,
              detail: {
                conversationId,
                reason: answer.handoffReason ?? (answer.intent === 'human' ? 'customer asked for a person' : 'customer accepted the offer of a person'),
              },
            },
          ]
        : []),
    ]);
  } finally {
    await broadcast(deps, caller.tenantId, conversationId, { type: 'typing', on: false, role: 'bot' });
  }
}

/** The last few turns before `seq`, oldest first, for follow-ups ("how much is it?") and the language model. */
async function recentHistory(deps: ChatDeps, tenantId: string, conversationId: string, seq: number): Promise<{ role: 'customer' | 'bot' | 'agent'; text: string }[]> {
  const TURNS = 8;
  const messages = await deps.conversations.listMessages(tenantId, conversationId, Math.max(0, seq - TURNS - 1), TURNS + 1);
  return messages
    .filter((m): m is typeof m & { role: 'customer' | 'bot' | 'agent' } => m.seq < seq && m.role !== 'system')
    .map((m) => ({ role: m.role, text: m.text }));
}
