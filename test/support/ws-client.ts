/**
 * A test customer on the WebSocket API: collects server frames and waits for
 * the ones a test expects (bounded waits, never wall-clock assertions).
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type { ServerFrame } from '../../lambdas/core/protocol';
import type { LocalCloud } from '../../local-cloud/index';

export interface TestSocket {
  readonly frames: ServerFrame[];
  send(frame: unknown): void;
  sendRaw(data: string): void;
  next<T extends ServerFrame['type']>(type: T, where?: (f: Extract<ServerFrame, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<ServerFrame, { type: T }>>;
  close(): Promise<void>;
}

export function wsUrl(base: string, key: string, visitor: string): string {
  return `${base}?key=${encodeURIComponent(key)}&visitor=${encodeURIComponent(visitor)}`;
}

/** Resolves with the HTTP status when the upgrade is refused, or the socket when it opens. */
export function connect(url: string, origin: string): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Origin: origin } });
    const frames: ServerFrame[] = [];
    const waiters: (() => void)[] = [];
    const consumed = new Set<number>();
    ws.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as ServerFrame);
      for (const w of waiters.splice(0)) w();
    });
    ws.once('unexpected-response', (_req, res) => reject(new RefusedError(res.statusCode ?? 0)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        frames,
        send: (frame) => ws.send(JSON.stringify(frame)),
        sendRaw: (data) => ws.send(data),
        next: (type, where, timeoutMs = 60_000) =>
          new Promise((res, rej) => {
            // The first frame of that type (matching `where`) that no earlier `next` returned.
            const check = (): boolean => {
              for (let i = 0; i < frames.length; i++) {
                const f = frames[i];
                if (!consumed.has(i) && f && f.type === type && (!where || where(f as never))) {
                  consumed.add(i);
                  res(f as never);
                  return true;
                }
              }
              return false;
            };
            if (check()) return;
            const timer = setTimeout(() => rej(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.type))}`)), timeoutMs);
            const wait = (): void => {
              if (check()) clearTimeout(timer);
              else waiters.push(wait);
            };
            waiters.push(wait);
          }),
        close: () =>
          new Promise((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      }),
    );
  });
}

export class RefusedError extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

type MessageFrame = Extract<ServerFrame, { type: 'message' }>;

/** A customer on the widget: a visitor connected from the site's origin and greeted (`hello`); `ask` waits for the bot's reply. */
export interface WidgetCustomer {
  readonly socket: TestSocket;
  readonly conversationId: string;
  /** Sends a message and resolves with the bot's first message after it (the message's own ack orders them). */
  ask(text: string, options?: { readonly lang?: string; readonly timeoutMs?: number }): Promise<MessageFrame>;
}

export async function widgetCustomer(
  target: { readonly ws: string; readonly widgetKey: string; readonly origin: string },
  options: { readonly lang?: string; readonly visitorId?: string } = {},
): Promise<WidgetCustomer> {
  const socket = await connect(wsUrl(target.ws, target.widgetKey, options.visitorId ?? randomBytes(16).toString('hex')), target.origin);
  socket.send({ action: 'hello', ...(options.lang !== undefined ? { lang: options.lang } : {}) });
  const session = await socket.next('session');
  return {
    socket,
    conversationId: session.conversationId,
    ask: async (text, o = {}) => {
      const clientId = randomBytes(9).toString('base64url');
      socket.send({ action: 'sendMessage', clientId, text, ...(o.lang !== undefined ? { lang: o.lang } : {}) });
      const ack = await socket.next('ack', (a) => a.clientId === clientId, o.timeoutMs ?? 60_000);
      return socket.next('message', (m) => m.role === 'bot' && m.seq > ack.seq, o.timeoutMs ?? 60_000);
    },
  };
}

/** The demo business's widget, as its site embeds it. */
export function demoWidget(cloud: Pick<LocalCloud, 'urls' | 'demo'>): { ws: string; widgetKey: string; origin: string } {
  return { ws: cloud.urls.ws, widgetKey: cloud.demo.widgetKey, origin: new URL(cloud.urls.demoSite).origin };
}
