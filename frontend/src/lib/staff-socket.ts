/**
 * The live inbox's connection: the WebSocket API with `key=staff.<id token>`
 * (browsers cannot send an Authorization header on a WebSocket). Reconnects
 * with back-off and a fresh token, re-sends the watched conversation, pings
 * inside API Gateway's idle timeout. Plain TypeScript: the socket factory and
 * timers are injected, so it is unit-tested without a browser.
 */
import { isRecord } from './decode';

export type InboxEventName = 'waiting' | 'escalated' | 'callback' | 'accepted' | 'returned' | 'closed' | 'message' | 'csat';
export type Mode = 'bot' | 'waiting_for_human' | 'human' | 'closed';

export type StaffFrame =
  | { readonly type: 'inbox'; readonly id: string; readonly event: InboxEventName; readonly conversationId: string; readonly mode: Mode; readonly at: string; readonly reason?: string; readonly assignee?: string }
  | {
      readonly type: 'message';
      readonly id: string;
      readonly seq: number;
      readonly conversationId: string;
      readonly role: 'customer' | 'bot' | 'agent' | 'system';
      readonly text: string;
      readonly createdAt: string;
      /** A channel customer's photos, voice notes and files. */
      readonly attachments?: readonly { readonly url: string; readonly contentType: string }[];
    }
  | { readonly type: 'typing'; readonly on: boolean; readonly role: 'bot' | 'agent' | 'customer'; readonly conversationId?: string }
  | { readonly type: 'state'; readonly id: string; readonly mode: Mode }
  /** Read receipt: the customer's widget showed messages up to `seq` (by customer), or a person read them (by staff). */
  | { readonly type: 'receipt'; readonly id: string; readonly conversationId: string; readonly seq: number; readonly by: 'customer' | 'staff' }
  | { readonly type: 'error'; readonly code: string; readonly message: string }
  | { readonly type: 'pong' };

const modes: readonly Mode[] = ['bot', 'waiting_for_human', 'human', 'closed'];
const events: readonly InboxEventName[] = ['waiting', 'escalated', 'callback', 'accepted', 'returned', 'closed', 'message', 'csat'];
const roles = ['customer', 'bot', 'agent', 'system'] as const;
const typingRoles = ['bot', 'agent', 'customer'] as const;

const pick = <T extends string>(allowed: readonly T[], v: unknown): T | undefined => allowed.find((a) => a === v);
const str = (v: unknown): v is string => typeof v === 'string';

/** Server frames are untrusted: checked field by field; anything unexpected is dropped. */
export function parseStaffFrame(data: unknown): StaffFrame | undefined {
  let v: unknown = data;
  if (typeof data === 'string') {
    try {
      v = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  if (!isRecord(v)) return undefined;
  switch (v['type']) {
    case 'inbox': {
      const event = pick(events, v['event']);
      const mode = pick(modes, v['mode']);
      if (!event || !mode || !str(v['id']) || !str(v['conversationId']) || !str(v['at'])) return undefined;
      return {
        type: 'inbox',
        id: v['id'],
        event,
        conversationId: v['conversationId'],
        mode,
        at: v['at'],
        ...(str(v['reason']) ? { reason: v['reason'] } : {}),
        ...(str(v['assignee']) ? { assignee: v['assignee'] } : {}),
      };
    }
    case 'message': {
      const role = pick(roles, v['role']);
      const seq = v['seq'];
      if (!role || typeof seq !== 'number' || !str(v['id']) || !str(v['conversationId']) || !str(v['text'])) return undefined;
      const attachments = Array.isArray(v['attachments'])
        ? (v['attachments'] as unknown[]).flatMap((a) => {
            const item = typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
            return str(item['url']) && str(item['contentType']) ? [{ url: item['url'], contentType: item['contentType'] }] : [];
          })
        : [];
      return {
        type: 'message',
        id: v['id'],
        seq,
        conversationId: v['conversationId'],
        role,
        text: v['text'],
        createdAt: str(v['createdAt']) ? v['createdAt'] : '',
        ...(attachments.length > 0 ? { attachments } : {}),
      };
    }
    case 'typing': {
      const role = pick(typingRoles, v['role']);
      if (!role || typeof v['on'] !== 'boolean') return undefined;
      return { type: 'typing', on: v['on'], role, ...(typeof v['conversationId'] === 'string' ? { conversationId: v['conversationId'] } : {}) };
    }
    case 'state': {
      const mode = pick(modes, v['mode']);
      return mode && str(v['id']) ? { type: 'state', id: v['id'], mode } : undefined;
    }
    case 'receipt': {
      const by = pick(['customer', 'staff'] as const, v['by']);
      const seq = v['seq'];
      if (!by || v['status'] !== 'read' || typeof seq !== 'number' || !str(v['id']) || !str(v['conversationId'])) return undefined;
      return { type: 'receipt', id: v['id'], conversationId: v['conversationId'], seq, by };
    }
    case 'error':
      return { type: 'error', code: str(v['code']) ? v['code'] : 'internal', message: str(v['message']) ? v['message'] : '' };
    case 'pong':
      return { type: 'pong' };
    default:
      return undefined;
  }
}

export interface SocketLike {
  send(data: string): void;
  close(): void;
}

export interface SocketEvents {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(): void;
}

export type SocketFactory = (url: string, events: SocketEvents) => SocketLike;
export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface StaffSocketOptions {
  readonly wsUrl: string;
  readonly getToken: () => Promise<string | undefined>;
  readonly createSocket: SocketFactory;
  readonly schedule?: (fn: () => void, ms: number) => () => void;
  readonly onFrame: (frame: StaffFrame) => void;
  readonly onStatus: (status: LiveStatus) => void;
}

export const PING_MS = 5 * 60 * 1000;
const MAX_BACKOFF_MS = 30_000;

/** `wss://host/stage?key=staff.<token>` */
export function staffSocketUrl(wsUrl: string, token: string): string {
  const url = new URL(wsUrl);
  url.searchParams.set('key', `staff.${token}`);
  return url.toString();
}

export class StaffSocket {
  private socket: SocketLike | undefined;
  private watching: string | undefined;
  private attempt = 0;
  private stopped = false;
  private cancelTimers: (() => void)[] = [];
  private open = false;
  private readonly schedule: (fn: () => void, ms: number) => () => void;

  constructor(private readonly opts: StaffSocketOptions) {
    this.schedule =
      opts.schedule ??
      ((fn, ms) => {
        const id = setTimeout(fn, ms);
        return () => clearTimeout(id);
      });
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = undefined;
    this.open = false;
    socket?.close();
  }

  /** Watch one conversation live (undefined: none). Re-sent after every reconnect. */
  watch(conversationId: string | undefined): void {
    this.watching = conversationId;
    if (conversationId !== undefined) this.send({ action: 'staffWatch', conversationId });
  }

  typing(conversationId: string, on: boolean): void {
    this.send({ action: 'staffTyping', conversationId, on });
  }

  private send(frame: Record<string, unknown>): void {
    if (this.open) this.socket?.send(JSON.stringify(frame));
  }

  private clearTimers(): void {
    for (const cancel of this.cancelTimers.splice(0)) cancel();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.opts.onStatus('connecting');
    let token: string | undefined;
    try {
      token = await this.opts.getToken();
    } catch {
      token = undefined;
    }
    if (this.stopped) return;
    if (!token) return this.retry();
    let socket: SocketLike | undefined;
    /** This connection is over (closed, or its sign-in ended): connect again after the back-off. */
    const ended = (): void => {
      this.open = false;
      this.socket = undefined;
      this.retry();
    };
    const events: SocketEvents = {
      onOpen: () => {
        if (socket !== this.socket) return;
        this.open = true;
        this.attempt = 0;
        this.opts.onStatus('live');
        if (this.watching !== undefined) this.send({ action: 'staffWatch', conversationId: this.watching });
        this.ping();
      },
      onMessage: (data) => {
        if (socket !== this.socket) return;
        const frame = parseStaffFrame(data);
        if (!frame) return;
        // The sign-in behind this connection ended (token expired, or the member was disabled): the server refuses
        // its frames but cannot close it, so drop it and connect again with a fresh token.
        if (frame.type === 'error' && frame.code === 'session_expired') {
          socket?.close();
          ended();
          return;
        }
        this.opts.onFrame(frame);
      },
      onClose: () => {
        if (socket === this.socket) ended();
      },
    };
    try {
      socket = this.opts.createSocket(staffSocketUrl(this.opts.wsUrl, token), events);
      this.socket = socket;
    } catch {
      this.retry();
    }
  }

  private ping(): void {
    this.cancelTimers.push(
      this.schedule(() => {
        this.send({ action: 'staffPing' });
        if (this.open) this.ping();
      }, PING_MS),
    );
  }

  private retry(): void {
    if (this.stopped) return;
    this.clearTimers();
    this.opts.onStatus('offline');
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt);
    this.attempt += 1;
    this.cancelTimers.push(this.schedule(() => void this.connect(), delay));
  }
}
