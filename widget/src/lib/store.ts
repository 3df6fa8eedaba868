/**
 * The conversation as the widget holds it, and how each server frame changes
 * it. Pure functions over immutable state: the client feeds frames in, the UI
 * renders `timeline(state)`.
 *
 * Rules:
 * - Messages are unique by `id` and by `seq`, and kept ordered by `seq`.
 * - The `session` frame decides which conversation is current. While a session
 *   is awaited (after `hello` or `newConversation`), messages for another
 *   conversation are held aside and adopted only if the session names it.
 * - `chunk` frames build a provisional reply keyed by `replyTo` (the customer
 *   message's id); the final bot/agent `message` replaces it (the one its own
 *   `replyTo` names; without one, every preview of an earlier question). The
 *   bot's `typing` off (sent after the answer, or after a failed one) drops
 *   whatever preview is left, so a broken stream never stays on screen.
 * - `ack` turns an outbox entry into a customer message at the acknowledged
 *   seq. The ack's `id` identifies the frame, not necessarily the stored
 *   message, so the server's own `message` frame for that seq (same clientId)
 *   replaces the acknowledged copy whenever it arrives.
 */
import type { ConversationMode, ErrorCode, MessageView } from '../../../lambdas/core/protocol';
import type { InboundFrame, MessageFrame } from './frames';
import * as outboxOps from './outbox';
import type { Outbox, OutboxItem } from './outbox';

export interface Stream {
  readonly replyTo: string;
  /** Chunk texts by index; holes are chunks not yet received. */
  readonly chunks: readonly (string | undefined)[];
}

export interface Notice {
  readonly id: number;
  readonly code: ErrorCode;
}

/** A person joined or left the conversation (from `state` frames), shown after the messages it followed. */
export interface HandoffNotice {
  readonly id: string;
  readonly kind: 'joined' | 'left';
  readonly afterSeq: number;
}

export interface ConversationState {
  readonly conversationId?: string;
  readonly mode: ConversationMode;
  readonly messages: readonly MessageView[];
  readonly outbox: Outbox;
  readonly streams: readonly Stream[];
  readonly typing?: 'bot' | 'agent';
  readonly awaitingSession: boolean;
  /** Messages for a conversation other than the current one, received while a session was awaited. */
  readonly held: readonly MessageView[];
  readonly notice?: Notice;
  /** Counter giving each notice its own id, so dismissing an old one never hides a newer one. */
  readonly noticeCount: number;
  /** "A person joined / left" notices of this conversation, oldest first. */
  readonly handoffNotices?: readonly HandoffNotice[];
  /** The visitor's "did this help?" answers in this conversation, by the bot message's seq. */
  readonly feedback?: Feedback;
  /** Highest customer message seq a person from the business has read (`receipt` by staff, or `session`). */
  readonly staffReadSeq?: number;
}

/** "Helpful" (true) or "not helpful" (false), by the seq of the bot answer it is about. */
export type Feedback = Readonly<Record<string, boolean>>;

export function initialState(init: { conversationId?: string; messages?: readonly MessageView[]; outbox?: Outbox; feedback?: Feedback } = {}): ConversationState {
  let messages: readonly MessageView[] = [];
  for (const m of init.messages ?? []) if (m.conversationId === init.conversationId) messages = upsert(messages, m);
  return {
    ...(init.conversationId ? { conversationId: init.conversationId } : {}),
    mode: 'bot',
    messages,
    outbox: init.outbox ?? [],
    streams: [],
    awaitingSession: false,
    held: [],
    noticeCount: 0,
    ...(init.conversationId && init.feedback ? { feedback: init.feedback } : {}),
  };
}

/** Whether a message gets "did this help?" buttons: a bot answer from the knowledge base (it cites sources), not a booking step or a notice. */
export function wantsFeedback(m: MessageView): boolean {
  return m.role === 'bot' && (m.sources?.length ?? 0) > 0 && !(m.quickReplies?.length ?? 0);
}

/** Records the visitor's answer about the bot message at `seq`; the first answer stays. */
export function recordFeedback(state: ConversationState, seq: number, helpful: boolean): ConversationState {
  if (state.feedback?.[String(seq)] !== undefined) return state;
  return { ...state, feedback: { ...state.feedback, [String(seq)]: helpful } };
}

/** The seq of the visitor's last message when a person from the business has read it, else undefined. */
export function staffSeenSeq(state: ConversationState): number | undefined {
  const last = [...state.messages].reverse().find((m) => m.role === 'customer');
  return last && last.seq <= (state.staffReadSeq ?? 0) ? last.seq : undefined;
}

/** Highest seq held for the current conversation; 0 when none. */
export function lastSeq(state: ConversationState): number {
  return state.messages.length ? state.messages[state.messages.length - 1].seq : 0;
}

/**
 * The seq to resume from (`hello`'s `lastSeq`): the highest one with no message missing between it and the oldest
 * held. Every message of a conversation reaches its customer, so a hole is one that was missed: a customer message's
 * `ack` can overtake the answer before it, broadcast by another invocation, and the socket can drop in between.
 * Resuming from the highest seq would skip the hole for good.
 */
export function resumeSeq(messages: readonly Pick<MessageView, 'seq'>[]): number {
  const seqs = [...new Set(messages.map((m) => m.seq))].sort((a, b) => a - b);
  const last = seqs.at(-1) ?? 0;
  let seq = seqs[0] ?? 0;
  for (const next of seqs.slice(1)) {
    if (next !== seq + 1) break;
    seq = next;
  }
  // A seq can also be skipped for good (a resend racing its original burns one), so a hole further back than the
  // last few messages is taken as such: chasing it would replay the rest of the conversation on every reconnect.
  return Math.max(seq, last - RESUME_HOLE_WINDOW);
}

/** How many messages back a hole is still asked for again on resume. */
export const RESUME_HOLE_WINDOW = 20;

/**
 * Inserts by seq. A known id is replaced in place; a known seq with another id
 * is ignored, unless both are the same customer message (same clientId), when
 * the newcomer — the server's stored copy — replaces the acknowledged one.
 */
export function upsert(messages: readonly MessageView[], m: MessageView): readonly MessageView[] {
  const byId = messages.findIndex((x) => x.id === m.id);
  const bySeq = byId >= 0 ? -1 : messages.findIndex((x) => x.seq === m.seq);
  const sameCustomerMessage = bySeq >= 0 && m.clientId !== undefined && messages[bySeq].clientId === m.clientId;
  const at = byId >= 0 ? byId : sameCustomerMessage ? bySeq : -1;
  if (at >= 0) {
    if (messages[at].seq !== m.seq) return messages;
    const copy = messages.slice();
    copy[at] = m;
    return copy;
  }
  if (bySeq >= 0) return messages;
  let i = messages.length;
  while (i > 0 && messages[i - 1].seq > m.seq) i--;
  return [...messages.slice(0, i), m, ...messages.slice(i)];
}

function removeStreamFor(state: ConversationState, m: MessageFrame | MessageView): readonly Stream[] {
  if (!state.streams.length) return state.streams;
  const explicit = 'replyTo' in m && typeof m.replyTo === 'string' ? m.replyTo : undefined;
  if (explicit) return state.streams.filter((s) => s.replyTo !== explicit);
  // No replyTo on the final message: answers come one at a time, so every preview of an earlier question is done
  // (answered, or broken off). A stream whose question we do not hold yet counts as earlier.
  const seqOf = (id: string): number => state.messages.find((x) => x.id === id)?.seq ?? m.seq - 0.5;
  const left = state.streams.filter((s) => seqOf(s.replyTo) >= m.seq);
  return left.length === state.streams.length ? state.streams : left;
}

function applyMessage(state: ConversationState, m: MessageFrame | MessageView): ConversationState {
  const message: MessageView = stripFrame(m);
  const messages = upsert(state.messages, message);
  let outbox = state.outbox;
  if (message.role === 'customer' && message.clientId) outbox = outboxOps.remove(outbox, message.clientId);
  const isReply = message.role === 'bot' || message.role === 'agent';
  const streams = isReply ? removeStreamFor(state, m) : state.streams;
  const typing = isReply && state.typing === message.role ? undefined : state.typing;
  return { ...state, messages, outbox, streams, typing };
}

function stripFrame(m: MessageFrame | MessageView): MessageView {
  return {
    id: m.id,
    seq: m.seq,
    conversationId: m.conversationId,
    role: m.role,
    text: m.text,
    createdAt: m.createdAt,
    ...(m.clientId ? { clientId: m.clientId } : {}),
    ...(m.sources ? { sources: m.sources } : {}),
    ...(m.quickReplies ? { quickReplies: m.quickReplies } : {}),
  };
}

/**
 * Whether a stream replying to `questionId` may start: the question is a
 * customer message not yet answered, or — when we do not hold that id yet —
 * the conversation's latest customer message is still unanswered. Late chunks
 * (after the answer) and chunks from a conversation we left are dropped.
 */
function awaitsReply(state: ConversationState, questionId: string): boolean {
  if (state.awaitingSession) return false;
  const isAnswer = (m: MessageView): boolean => m.role === 'bot' || m.role === 'agent';
  const question = state.messages.find((m) => m.id === questionId);
  if (question) return question.role === 'customer' && !state.messages.some((m) => isAnswer(m) && m.seq > question.seq);
  const lastCustomer = [...state.messages].reverse().find((m) => m.role === 'customer');
  const lastAnswer = [...state.messages].reverse().find(isAnswer);
  if (lastCustomer && (lastAnswer === undefined || lastAnswer.seq < lastCustomer.seq)) return true;
  return state.outbox.some((o) => o.status === 'sent');
}

export function reduce(state: ConversationState, frame: InboundFrame): ConversationState {
  switch (frame.type) {
    case 'message': {
      if (frame.conversationId === state.conversationId) return applyMessage(state, frame);
      if (state.awaitingSession) return { ...state, held: [...state.held, stripFrame(frame)] };
      return state; // a stale frame from a conversation we left
    }
    case 'session': {
      let next: ConversationState =
        frame.conversationId === state.conversationId
          ? state
          : { ...state, conversationId: frame.conversationId, messages: [], streams: [], typing: undefined, handoffNotices: [], feedback: {} };
      for (const m of state.held) if (m.conversationId === frame.conversationId) next = applyMessage(next, m);
      const staffReadSeq = Math.max(frame.conversationId === state.conversationId ? (state.staffReadSeq ?? 0) : 0, frame.staffReadSeq ?? 0);
      return { ...next, mode: frame.mode, awaitingSession: false, held: [], staffReadSeq: staffReadSeq || undefined };
    }
    case 'receipt':
      // The visitor's own reading is for the staff; a person reading is shown ("Seen").
      if (frame.by !== 'staff' || frame.conversationId !== state.conversationId || frame.seq <= (state.staffReadSeq ?? 0)) return state;
      return { ...state, staffReadSeq: frame.seq };
    case 'ack': {
      const item = outboxOps.find(state.outbox, frame.clientId);
      if (!item || !state.conversationId) return state;
      // The server's copy may have arrived first; then only the queue entry goes.
      if (state.messages.some((m) => m.seq === frame.seq)) return { ...state, outbox: outboxOps.remove(state.outbox, frame.clientId) };
      const message: MessageView = {
        id: frame.id,
        seq: frame.seq,
        conversationId: state.conversationId,
        role: 'customer',
        text: item.text,
        createdAt: item.createdAt,
        clientId: item.clientId,
      };
      return { ...state, messages: upsert(state.messages, message), outbox: outboxOps.remove(state.outbox, frame.clientId) };
    }
    case 'chunk': {
      const existing = state.streams.find((s) => s.replyTo === frame.replyTo);
      if (!existing && !awaitsReply(state, frame.replyTo)) return state;
      const chunks = existing ? existing.chunks.slice() : [];
      if (chunks[frame.index] !== undefined) return state;
      chunks[frame.index] = frame.text;
      const stream: Stream = { replyTo: frame.replyTo, chunks };
      const streams = existing ? state.streams.map((s) => (s === existing ? stream : s)) : [...state.streams, stream];
      return { ...state, streams };
    }
    case 'typing':
      // The visitor's own typing (relayed to staff) never shows here.
      if (frame.role === 'customer') return state;
      // The bot stops typing after its answer (which replaced its preview) or after a failed one: no preview stays.
      if (!frame.on && frame.role === 'bot' && state.streams.length) return { ...state, typing: undefined, streams: [] };
      return { ...state, typing: frame.on ? frame.role : undefined };
    case 'state': {
      const joined = frame.mode === 'human' && state.mode !== 'human';
      const left = state.mode === 'human' && frame.mode === 'bot';
      const known = (state.handoffNotices ?? []).some((n) => n.id === frame.id);
      const notices =
        (joined || left) && !known
          ? [...(state.handoffNotices ?? []), { id: frame.id, kind: joined ? ('joined' as const) : ('left' as const), afterSeq: lastSeq(state) }].slice(-10)
          : state.handoffNotices;
      // A change of owner ends whatever typing indicator was showing.
      return { ...state, mode: frame.mode, typing: frame.mode === state.mode ? state.typing : undefined, ...(notices ? { handoffNotices: notices } : {}) };
    }
    case 'inbox':
      return state; // staff-only frame
    case 'error': {
      const noticeCount = state.noticeCount + 1;
      const notice: Notice = { id: noticeCount, code: frame.code };
      if (frame.clientId && outboxOps.find(state.outbox, frame.clientId)) {
        return { ...state, outbox: outboxOps.fail(state.outbox, frame.clientId, frame.code), notice, noticeCount };
      }
      return { ...state, notice, noticeCount };
    }
    case 'pong':
      return state;
  }
}

/** Whether a sent message still awaits its `ack` (a new conversation must wait for it: the server stores it in the current one). */
export function awaitingAck(state: ConversationState): boolean {
  return state.outbox.some((o) => o.status === 'sent');
}

/** The visitor asked for a fresh conversation: forget the current one until the server names the next. */
export function startNewConversation(state: ConversationState): ConversationState {
  return {
    mode: 'bot',
    messages: [],
    outbox: state.outbox.filter((o) => o.status !== 'failed'),
    streams: [],
    awaitingSession: true,
    held: [],
    noticeCount: state.noticeCount,
  };
}

export function dismissNotice(state: ConversationState, id: number): ConversationState {
  return state.notice?.id === id ? { ...state, notice: undefined } : state;
}

export type TimelineItem =
  | { readonly kind: 'message'; readonly key: string; readonly message: MessageView }
  | { readonly kind: 'handoff'; readonly key: string; readonly notice: HandoffNotice }
  | { readonly kind: 'stream'; readonly key: string; readonly text: string }
  | { readonly kind: 'pending'; readonly key: string; readonly item: OutboxItem };

/** Stored messages by seq; each provisional reply right after its question; unsent messages last. */
export function timeline(state: ConversationState): TimelineItem[] {
  const out: TimelineItem[] = [];
  const streamsByQuestion = new Map(state.streams.map((s) => [s.replyTo, s]));
  const placed = new Set<string>();
  const streamItem = (s: Stream): TimelineItem => ({ kind: 'stream', key: `stream:${s.replyTo}`, text: s.chunks.map((c) => c ?? '').join('') });
  const notices = [...(state.handoffNotices ?? [])];
  const noticesUpTo = (seq: number): void => {
    while (notices.length && (notices[0]?.afterSeq ?? 0) < seq) {
      const n = notices.shift();
      if (n) out.push({ kind: 'handoff', key: `handoff:${n.id}`, notice: n });
    }
  };
  for (const m of state.messages) {
    noticesUpTo(m.seq);
    out.push({ kind: 'message', key: m.id, message: m });
    const s = streamsByQuestion.get(m.id);
    if (s) {
      out.push(streamItem(s));
      placed.add(s.replyTo);
    }
  }
  noticesUpTo(Number.POSITIVE_INFINITY);
  for (const s of state.streams) if (!placed.has(s.replyTo)) out.push(streamItem(s));
  for (const item of state.outbox) out.push({ kind: 'pending', key: `pending:${item.clientId}`, item });
  return out;
}
