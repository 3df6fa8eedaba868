/**
 * A local stand-in for Bedrock Runtime's InvokeModel with Titan Text
 * Embeddings V2 (`POST /model/{modelId}/invoke`), over cleartext HTTP/2 as the
 * SDK's default handler speaks it. Vectors are deterministic: the text's index
 * terms hashed into the asked dimensions (a bag of words), unit length — so
 * texts sharing words are similar, as with a real model, only cruder.
 * Requests are recorded with their headers (the SDK signs them with SigV4).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { z } from 'zod';
import { passageTerms } from '../../lambdas/core/answer/bm25';
import { terms } from '../../lambdas/core/answer/text';

export interface EmbeddingRequest {
  readonly modelId: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { readonly inputText: string; readonly dimensions?: number; readonly normalize?: boolean };
}

/** How the next request is answered: with an embedding (default) or an error Bedrock sends. */
export type EmbeddingStep =
  /** A vector; of `dimensions` values when given (a misbehaving service), else of the asked size. */
  | { readonly kind: 'embed'; readonly dimensions?: number }
  | { readonly kind: 'error'; readonly status: number; readonly errorType: string };

export interface FakeBedrockEmbeddings {
  readonly endpoint: string;
  readonly requests: EmbeddingRequest[];
  script(...steps: EmbeddingStep[]): void;
  close(): Promise<void>;
}

const bodySchema = z.object({ inputText: z.string().min(1), dimensions: z.number().int().optional(), normalize: z.boolean().optional() });

/**
 * The fake's vector for a text: a bag of its index terms (as the keyword index makes them), each term spread
 * over four signed hashed slots, unit length (all zeros for a text without terms).
 */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const t of passageTerms({ title: '', text })) {
    const h = createHash('sha256').update(t).digest();
    for (let j = 0; j < 4; j++) {
      const slot = h.readUInt32BE(j * 4) % dimensions;
      v[slot] = (v[slot] ?? 0) + ((h[16 + j] ?? 0) & 1 ? 1 : -1);
    }
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm > 0 ? v.map((x) => x / norm) : v;
}

export async function startFakeBedrockEmbeddings(): Promise<FakeBedrockEmbeddings> {
  const requests: EmbeddingRequest[] = [];
  const queue: EmbeddingStep[] = [];
  const open = new Set<ServerHttp2Stream>();
  const server = createServer();
  server.on('stream', (stream, headers) => {
    open.add(stream);
    stream.on('close', () => open.delete(stream));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const match = /^\/model\/([^/]+)\/invoke$/.exec(String(headers[':path'] ?? ''));
      const fail = (status: number, errorType: string, message: string): void => {
        stream.respond({ ':status': status, 'content-type': 'application/json', 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
        stream.end(JSON.stringify({ message }));
      };
      if (headers[':method'] !== 'POST' || !match?.[1]) return fail(404, 'UnknownOperationException', 'unknown operation');
      const parsed = bodySchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      if (!parsed.success) return fail(400, 'ValidationException', 'Malformed input request');
      const modelId = decodeURIComponent(match[1]);
      requests.push({ modelId, headers, body: parsed.data });
      const step = queue.shift() ?? { kind: 'embed' };
      if (step.kind === 'error') return fail(step.status, step.errorType, `${step.errorType} from the fake`);
      const asked = parsed.data.dimensions ?? 1024;
      if (![256, 512, 1024].includes(asked)) return fail(400, 'ValidationException', 'dimensions must be 256, 512 or 1024');
      const dimensions = step.dimensions ?? asked;
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-amzn-bedrock-input-token-count': '7' });
      stream.end(JSON.stringify({ embedding: hashedEmbedding(parsed.data.inputText, dimensions), inputTextTokenCount: terms(parsed.data.inputText).length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake Bedrock server has no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    script: (...steps) => queue.push(...steps),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.close();
        server.close(() => resolve());
      }),
  };
}
