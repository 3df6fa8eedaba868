/**
 * A local stand-in for the Bedrock Runtime ConverseStream endpoint, speaking
 * the real wire format so the real SDK client can be pointed at it:
 * `POST /model/{modelId}/converse-stream` over HTTP/2 (the client's default
 * handler; cleartext here), answered with `application/vnd.amazon.eventstream`
 * frames (prelude with total and header lengths and CRCs, `:event-type`,
 * `:content-type`, `:message-type` headers) built with the SDK's own codec,
 * or with the JSON error responses Bedrock sends (`x-amzn-errortype`).
 */
import { createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { EventStreamCodec } from '@smithy/core/event-streams';

export type BedrockScript =
  /** A streamed answer made of these text deltas (each its own contentBlockDelta frame). */
  | { readonly kind: 'stream'; readonly deltas: readonly string[] }
  /** An HTTP error before any stream, e.g. 429 ThrottlingException or 500 InternalServerException. */
  | { readonly kind: 'error'; readonly status: number; readonly errorType: string; readonly message?: string }
  /** Sends `deltas`, then an exception frame (e.g. `throttlingException`) inside the stream. */
  | { readonly kind: 'stream-exception'; readonly deltas: readonly string[]; readonly exceptionType: string }
  /** Accepts the request and never answers. */
  | { readonly kind: 'hang' };

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly modelId: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  return codec.encode({
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])),
    body: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

export function eventFrame(eventType: string, payload: unknown): Uint8Array {
  return frame({ ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' }, payload);
}

export function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return frame({ ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' }, { message });
}

export interface FakeBedrock {
  readonly endpoint: string;
  readonly requests: ReceivedRequest[];
  /** Queues how the next requests are answered, in order; when the queue is empty, `fallback` answers. */
  script(...steps: BedrockScript[]): void;
  /** Forgets the received requests and the queued steps. */
  reset(): void;
  fallback: BedrockScript;
  close(): Promise<void>;
}

function answer(stream: ServerHttp2Stream, step: BedrockScript): void {
  const requestId = crypto.randomUUID();
  if (step.kind === 'hang') return;
  if (step.kind === 'error') {
    stream.respond({
      ':status': step.status,
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': `${step.errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    });
    stream.end(JSON.stringify({ message: step.message ?? `${step.errorType} from the fake` }));
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': requestId });
  stream.write(eventFrame('messageStart', { role: 'assistant' }));
  for (const text of step.deltas) stream.write(eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }));
  if (step.kind === 'stream-exception') {
    stream.end(exceptionFrame(step.exceptionType, `${step.exceptionType} from the fake`));
    return;
  }
  stream.write(eventFrame('contentBlockStop', { contentBlockIndex: 0 }));
  stream.write(eventFrame('messageStop', { stopReason: 'end_turn' }));
  stream.end(eventFrame('metadata', { usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 }, metrics: { latencyMs: 42 } }));
}

export async function startFakeBedrock(): Promise<FakeBedrock> {
  const requests: ReceivedRequest[] = [];
  const queue: BedrockScript[] = [];
  const open = new Set<ServerHttp2Stream>();
  const server: Http2Server = createServer();
  const state: { fallback: BedrockScript } = { fallback: { kind: 'stream', deltas: ['OK'] } };
  server.on('stream', (stream, headers) => {
    open.add(stream);
    stream.on('close', () => open.delete(stream));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const path = String(headers[':path'] ?? '');
      const match = /^\/model\/([^/]+)\/converse-stream$/.exec(path);
      if (headers[':method'] !== 'POST' || !match?.[1]) {
        stream.respond({ ':status': 404, 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' });
        stream.end('{}');
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      requests.push({ method: 'POST', path, modelId: decodeURIComponent(match[1]), headers, body });
      answer(stream, queue.shift() ?? state.fallback);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake Bedrock server has no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    get fallback() {
      return state.fallback;
    },
    set fallback(step: BedrockScript) {
      state.fallback = step;
    },
    script: (...steps) => queue.push(...steps),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.close();
        server.close(() => resolve());
      }),
  };
}
