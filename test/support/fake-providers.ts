/**
 * Fake Twilio Messages API and Meta Send API on loopback (node:http, random port) for the channel senders' tests.
 * Every request is recorded (path, headers, raw body, parsed form / JSON); answers are scripted per provider:
 * queue responses with `twilio.reply(...)` / `meta.reply(...)`, else a success in the provider's shape.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Twilio: the form fields. */
  readonly form?: Readonly<Record<string, string>>;
  /** Meta: the JSON body. */
  readonly json?: unknown;
}

export interface ScriptedReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Drop the connection instead of answering (a network failure). */
  readonly destroy?: boolean;
}

export interface FakeProvider {
  readonly requests: RecordedRequest[];
  /** Queues replies, used in order before the default success. */
  reply(...replies: ScriptedReply[]): void;
  reset(): void;
}

export interface FakeProviders {
  readonly url: string;
  readonly twilio: FakeProvider;
  readonly meta: FakeProvider;
  stop(): Promise<void>;
}

function provider(): FakeProvider & { next(): ScriptedReply | undefined } {
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  return {
    requests,
    reply: (...replies) => queue.push(...replies),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    next: () => queue.shift(),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const hex = (n: number): string => randomBytes(n).toString('hex');

export async function startFakeProviders(): Promise<FakeProviders> {
  const twilio = provider();
  const meta = provider();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = req.url ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const isTwilio = /^\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(url);
      const isMeta = /^\/v21\.0\/me\/messages\?/.test(url);
      const which = isTwilio ? twilio : isMeta ? meta : undefined;
      if (!which) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not found' }));
        return;
      }
      which.requests.push({
        method: req.method ?? 'GET',
        url,
        headers,
        body,
        ...(isTwilio ? { form: Object.fromEntries(new URLSearchParams(body)) } : { json: JSON.parse(body) as unknown }),
      });
      const scripted = which.next();
      if (scripted?.destroy) {
        req.socket.destroy();
        return;
      }
      const reply: ScriptedReply = scripted ?? (isTwilio ? { status: 201, body: { sid: `SM${hex(16)}`, status: 'queued' } } : { status: 200, body: { recipient_id: '1', message_id: `m_${hex(12)}` } });
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body ?? {}));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    twilio,
    meta,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
