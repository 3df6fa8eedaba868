/**
 * A test customer on the WebSocket API: collects server frames and waits for
 * the ones a test expects (bounded waits, never wall-clock assertions).
 */
import WebSocket from 'ws';
import type { ServerFrame } from '../../lambdas/core/protocol';

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
