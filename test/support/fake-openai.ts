/**
 * A local stand-in for OpenAI's chat completions endpoint, speaking its real
 * wire format so the real `openai` client can be pointed at it with `baseURL`:
 * `POST /v1/chat/completions` with `stream: true`, answered with server-sent
 * events (`data: {chat.completion.chunk}` lines, then `data: [DONE]`), or with
 * OpenAI's JSON error bodies.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

export type OpenAiScript =
  /** A streamed answer made of these content deltas (each its own chunk), `delayMs` apart (default 0), as a model writes. */
  | { readonly kind: 'stream'; readonly deltas: readonly string[]; readonly delayMs?: number }
  /** An HTTP error before any stream (429 rate limit, 500 server error, 401 bad key…). */
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly code?: string; readonly message?: string }
  /** Sends `deltas`, then an `error` event inside the stream, then closes. */
  | { readonly kind: 'stream-error'; readonly deltas: readonly string[] }
  /** Accepts the request and never answers. */
  | { readonly kind: 'hang' };

export interface ReceivedChatRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface FakeOpenAi {
  /** `http://127.0.0.1:PORT/v1`, for the client's `baseURL`. */
  readonly baseURL: string;
  readonly requests: ReceivedChatRequest[];
  script(...steps: OpenAiScript[]): void;
  reset(): void;
  close(): Promise<void>;
}

function chunk(id: string, model: string, delta: Record<string, string>, finish: string | null): string {
  const body = {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'fp_fake',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

async function answer(res: ServerResponse, step: OpenAiScript, model: string): Promise<void> {
  if (step.kind === 'hang') return;
  if (step.kind === 'error') {
    res.writeHead(step.status, { 'content-type': 'application/json', 'x-request-id': `req_${crypto.randomUUID()}` });
    res.end(JSON.stringify({ error: { message: step.message ?? `${step.type} from the fake`, type: step.type, param: null, code: step.code ?? null } }));
    return;
  }
  const id = `chatcmpl-${crypto.randomUUID()}`;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': `req_${crypto.randomUUID()}` });
  res.write(chunk(id, model, { role: 'assistant', content: '' }, null));
  const delayMs = step.kind === 'stream' ? (step.delayMs ?? 0) : 0;
  for (const content of step.deltas) {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    res.write(chunk(id, model, { content }, null));
  }
  if (step.kind === 'stream-error') {
    res.end(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`);
    return;
  }
  res.write(chunk(id, model, {}, 'stop'));
  res.end('data: [DONE]\n\n');
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: ReceivedChatRequest[] = [];
  const queue: OpenAiScript[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      if (req.method !== 'POST' || path !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      requests.push({ path, headers: req.headers, body });
      const model = typeof body === 'object' && body !== null && 'model' in body ? String(body.model) : 'unknown';
      void answer(res, queue.shift() ?? { kind: 'stream', deltas: ['OK'] }, model).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake OpenAI server has no TCP address');
  return {
    baseURL: `http://127.0.0.1:${address.port}/v1`,
    requests,
    script: (...steps) => queue.push(...steps),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
