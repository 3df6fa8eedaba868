/**
 * The widget's connection to Concierge: one WebSocket, resumed after every
 * drop. Framework-free and driven by injected socket, timers and randomness,
 * so node tests can play the server.
 *
 * Life of a connection: open → `hello {conversationId, lastSeq, lang}` →
 * replayed `message` frames → `session` → ready: queued messages are sent,
 * then a `ping` every 5 minutes. On close: back off (exponential, jittered)
 * and start again; unacknowledged messages are sent again with their
 * original `clientId`. A handshake that fails (no `session` within
 * SESSION_TIMEOUT_MS, or an `error` instead) closes the socket and backs off
 * the same way.
 */
import type { ClientFrame } from '../../../lambdas/core/protocol';
import { backoffDelay, type BackoffOptions } from './backoff';
import { parseServerFrame } from './frames';
import * as outbox from './outbox';
import { awaitingAck, dismissNotice, initialState, lastSeq, recordFeedback, reduce, resumeSeq, startNewConversation, type ConversationState } from './store';

export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(code: number): void;
}

export interface SocketLike {
  send(data: string): void;
  close(): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

/** Schedules `fn` after `ms`; returns a function that cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export type ConnectionStatus = 'idle' | 'connecting' | 'ready' | 'offline' | 'disposed';

export interface Snapshot {
  readonly state: ConversationState;
  readonly status: ConnectionStatus;
}

export interface ChatClientOptions {
  readonly url: string;
  readonly lang: string;
  readonly createSocket: SocketFactory;
  readonly schedule: Schedule;
  readonly newClientId: () => string;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly backoff?: BackoffOptions;
  readonly initial?: ConversationState;
  /** Called after every change, to remember the conversation across reloads. */
  readonly persist?: (state: ConversationState) => void;
}

export const PING_INTERVAL_MS = 5 * 60 * 1000;
/** A typing indicator the server forgot to switch off disappears after this long. */
export const TYPING_TIMEOUT_MS = 30 * 1000;
/** `markRead` waits this long, so messages shown together are reported in one frame. */
export const MARK_READ_DELAY_MS = 500;
/**
 * How long the `session` frame may take after `hello`; then the connection is dropped and tried again. Above API
 * Gateway's 29 s integration timeout: a `hello` replaying a long conversation to a new device still gets its answer.
 */
export const SESSION_TIMEOUT_MS = 35 * 1000;
/**
 * A message the server acknowledged (stored) and then failed on (`error` `internal` with its clientId: its answer or
 * the event that counts it failed) is sent again once, this long after: the server handles a stored message it
 * failed to handle when it comes again (docs/decisions.md 112), so the visitor is answered without doing anything.
 */
export const FAILED_ANSWER_RESEND_MS = 3 * 1000;

export class ChatClient {
  private state: ConversationState;
  private status: ConnectionStatus = 'idle';
  private socket: SocketLike | undefined;
  private attempt = 0;
  private cancelRetry: (() => void) | undefined;
  private cancelPing: (() => void) | undefined;
  private cancelTyping: (() => void) | undefined;
  private cancelRead: (() => void) | undefined;
  /** Set while the `session` answering this socket's `hello` is awaited. */
  private cancelSession: (() => void) | undefined;
  /** Whether the visitor can see the conversation: the panel is open and the page visible. */
  private viewing = false;
  /** The highest seq reported (or known to the server) as read, per conversation. */
  private read: { readonly conversationId: string; readonly seq: number } | undefined;
  private readonly listeners = new Set<(s: Snapshot) => void>();
  /** clientIds sent again after the server failed on them once stored (FAILED_ANSWER_RESEND_MS): never twice. */
  private readonly resentAfterFailure = new Set<string>();

  constructor(private readonly opts: ChatClientOptions) {
    this.state = opts.initial ?? initialState();
  }

  snapshot(): Snapshot {
    return { state: this.state, status: this.status };
  }

  subscribe(listener: (s: Snapshot) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Opens the connection if it is not open or opening. */
  connect(): void {
    if (this.status === 'disposed' || this.status === 'connecting' || this.status === 'ready') return;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.setStatus('connecting');
    const handlers: SocketHandlers = {
      onOpen: () => socket === this.socket && this.onOpen(),
      onMessage: (data) => socket === this.socket && this.onFrame(data),
      onClose: () => socket === this.socket && this.onClose(),
    };
    let socket: SocketLike | undefined;
    try {
      socket = this.opts.createSocket(this.opts.url, handlers);
      this.socket = socket;
    } catch {
      this.socket = undefined;
      this.onClose();
    }
  }

  /** Skips the remaining back-off (the browser came back online, the tab became visible). */
  reconnectNow(): void {
    if (this.status === 'offline') {
      this.attempt = 0;
      this.connect();
    }
  }

  /** Sends a customer message now, or queues it until the connection is ready. Returns its clientId. */
  send(text: string): string | undefined {
    const trimmed = text.trim();
    if (!trimmed || this.status === 'disposed') return undefined;
    const clientId = this.opts.newClientId();
    this.update({ ...this.state, outbox: outbox.enqueue(this.state.outbox, clientId, trimmed, this.now().toISOString()) });
    this.flush();
    return clientId;
  }

  retry(clientId: string): void {
    this.update({ ...this.state, outbox: outbox.retry(this.state.outbox, clientId) });
    this.flush();
  }

  discard(clientId: string): void {
    this.update({ ...this.state, outbox: outbox.remove(this.state.outbox, clientId) });
  }

  /**
   * Asks the server for a fresh conversation. Only possible while connected and no sent message awaits its `ack`
   * (it would be stored in the old conversation, or resent into the new one).
   */
  newConversation(): boolean {
    if (this.status !== 'ready' || awaitingAck(this.state)) return false;
    this.sendFrame({ action: 'newConversation', lang: this.opts.lang });
    this.update(startNewConversation(this.state));
    return true;
  }

  /**
   * Tells the server whether the bot answer at `seq` helped. Sent once per answer (the first choice
   * stays) and only while connected; returns whether it was sent.
   */
  feedback(seq: number, helpful: boolean): boolean {
    const conversationId = this.state.conversationId;
    if (this.status !== 'ready' || !conversationId || this.state.feedback?.[String(seq)] !== undefined) return false;
    this.sendFrame({ action: 'feedback', conversationId, seq, helpful });
    this.update(recordFeedback(this.state, seq, helpful));
    return true;
  }

  dismissNotice(id: number): void {
    this.update(dismissNotice(this.state, id));
  }

  /**
   * Whether the visitor sees the conversation now (panel open and page visible). While they do, the highest
   * seq shown is reported with `markRead` (batched over MARK_READ_DELAY_MS, only when it grew).
   */
  setViewing(on: boolean): void {
    this.viewing = on;
    if (on) this.scheduleRead();
    else {
      this.cancelRead?.();
      this.cancelRead = undefined;
    }
  }

  /** The seq to report as read now, if any. */
  private unreportedSeq(): number | undefined {
    const { conversationId, awaitingSession } = this.state;
    if (!this.viewing || this.status !== 'ready' || !conversationId || awaitingSession) return undefined;
    const seq = lastSeq(this.state);
    const reported = this.read?.conversationId === conversationId ? this.read.seq : 0;
    return seq > reported ? seq : undefined;
  }

  private scheduleRead(): void {
    if (this.cancelRead || this.unreportedSeq() === undefined) return;
    this.cancelRead = this.opts.schedule(() => {
      this.cancelRead = undefined;
      const seq = this.unreportedSeq();
      const conversationId = this.state.conversationId;
      if (seq === undefined || !conversationId) return;
      this.read = { conversationId, seq };
      this.sendFrame({ action: 'markRead', conversationId, seq });
    }, MARK_READ_DELAY_MS);
  }

  private typingOn = false;
  private typingSentAt = 0;

  /** Tells the person who owns (or is about to own) the conversation that the visitor is typing; throttled. */
  typing(on: boolean): void {
    if (this.status !== 'ready' || (this.state.mode !== 'human' && this.state.mode !== 'waiting_for_human')) return;
    const now = this.now().getTime();
    if (on === this.typingOn && (!on || now - this.typingSentAt < 3000)) return;
    this.typingOn = on;
    this.typingSentAt = now;
    this.sendFrame({ action: 'customerTyping', on });
  }

  dispose(): void {
    this.cancelRetry?.();
    this.stopSessionTimer();
    this.stopPing();
    this.cancelTyping?.();
    this.cancelRead?.();
    const s = this.socket;
    this.socket = undefined;
    s?.close();
    this.setStatus('disposed');
    this.listeners.clear();
  }

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  private onOpen(): void {
    const conversationId = this.state.conversationId;
    const hello: ClientFrame = conversationId
      ? { action: 'hello', conversationId, lastSeq: resumeSeq(this.state.messages), lang: this.opts.lang }
      : { action: 'hello', lang: this.opts.lang };
    this.update({ ...this.state, awaitingSession: true, held: [] });
    this.sendFrame(hello);
    this.startPing();
    this.stopSessionTimer();
    this.cancelSession = this.opts.schedule(() => {
      this.cancelSession = undefined;
      this.abandonSocket();
    }, SESSION_TIMEOUT_MS);
  }

  private onFrame(data: unknown): void {
    const frame = parseServerFrame(data);
    if (!frame) return;
    const next = reduce(this.state, frame);
    if (frame.type === 'typing') this.armTypingTimeout(frame.on);
    if (frame.type === 'session') {
      this.stopSessionTimer();
      this.attempt = 0;
      // What the server already holds is not reported again after a reconnect.
      const known = frame.customerReadSeq ?? 0;
      if (this.read?.conversationId !== frame.conversationId || this.read.seq < known) this.read = { conversationId: frame.conversationId, seq: known };
      this.update(next);
      this.setStatus('ready');
      this.flush();
      return;
    }
    this.update(next);
    // The handshake failed: drop this socket and try again after the back-off.
    if (frame.type === 'error' && this.cancelSession) {
      this.abandonSocket();
      return;
    }
    if (frame.type === 'error' && frame.code === 'internal' && frame.clientId) this.resendStored(frame.clientId);
    // An acknowledged (or refused) message frees the way for the next queued one.
    if (frame.type === 'ack' || frame.type === 'error') this.flush();
  }

  /** A stored message the server failed to answer: sent again once, after FAILED_ANSWER_RESEND_MS (same clientId). */
  private resendStored(clientId: string): void {
    if (this.resentAfterFailure.has(clientId)) return;
    // Not stored (no ack): the outbox marked it not sent, for the visitor's Retry.
    const stored = this.state.messages.find((m) => m.role === 'customer' && m.clientId === clientId);
    if (!stored) return;
    this.resentAfterFailure.add(clientId);
    this.opts.schedule(() => {
      if (this.status === 'ready') this.sendFrame({ action: 'sendMessage', clientId, text: stored.text, lang: this.opts.lang });
    }, FAILED_ANSWER_RESEND_MS);
  }

  /** Closes the current socket and goes through the close path (a closed socket no longer reports its close). */
  private abandonSocket(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.close();
    this.onClose();
  }

  private stopSessionTimer(): void {
    this.cancelSession?.();
    this.cancelSession = undefined;
  }

  private onClose(): void {
    this.socket = undefined;
    this.stopSessionTimer();
    this.stopPing();
    if (this.status === 'disposed') return;
    this.update({ ...this.state, outbox: outbox.requeueUnacknowledged(this.state.outbox), typing: undefined });
    this.setStatus('offline');
    const delay = backoffDelay(this.attempt++, this.opts.random, this.opts.backoff);
    this.cancelRetry = this.opts.schedule(() => {
      this.cancelRetry = undefined;
      this.connect();
    }, delay);
  }

  private flush(): void {
    if (this.status !== 'ready') return;
    const due = outbox.due(this.state.outbox);
    if (!due.length) return;
    for (const item of due) this.sendFrame({ action: 'sendMessage', clientId: item.clientId, text: item.text, lang: this.opts.lang });
    this.update({ ...this.state, outbox: outbox.markSent(this.state.outbox, due.map((d) => d.clientId)) });
  }

  private sendFrame(frame: ClientFrame): void {
    try {
      this.socket?.send(JSON.stringify(frame));
    } catch {
      // The close handler requeues whatever was lost.
    }
  }

  private startPing(): void {
    this.stopPing();
    const tick = (): void => {
      this.sendFrame({ action: 'ping' });
      this.cancelPing = this.opts.schedule(tick, PING_INTERVAL_MS);
    };
    this.cancelPing = this.opts.schedule(tick, PING_INTERVAL_MS);
  }

  private stopPing(): void {
    this.cancelPing?.();
    this.cancelPing = undefined;
  }

  private armTypingTimeout(on: boolean): void {
    this.cancelTyping?.();
    this.cancelTyping = on
      ? this.opts.schedule(() => {
          this.cancelTyping = undefined;
          this.update({ ...this.state, typing: undefined });
        }, TYPING_TIMEOUT_MS)
      : undefined;
  }

  private update(next: ConversationState): void {
    if (next === this.state) return;
    this.state = next;
    this.opts.persist?.(next);
    this.emit();
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.opts.persist?.(this.state);
    this.emit();
  }

  private emit(): void {
    this.scheduleRead();
    const snap = this.snapshot();
    for (const l of [...this.listeners]) l(snap);
  }
}
