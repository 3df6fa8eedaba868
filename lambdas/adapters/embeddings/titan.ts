/**
 * Amazon Titan Text Embeddings V2 on Bedrock (`amazon.titan-embed-text-v2:0`)
 * as the Embedder: InvokeModel, one text per call (the model takes one input),
 * a few calls in flight at once, unit-length vectors of 256, 512 or 1,024
 * dimensions. Multilingual, so Spanish questions embed natively in AWS.
 * The SDK's standard retries handle throttling and 5xx.
 */
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import type { Embedder } from '../../core/ports';
import { mapConcurrently } from '../concurrency';

export const TITAN_EMBED_TEXT_V2 = 'amazon.titan-embed-text-v2:0';

export type TitanDimensions = 256 | 512 | 1024;

export interface TitanEmbedderOptions {
  /** @default TITAN_EMBED_TEXT_V2 */
  readonly modelId?: string;
  /** @default 512 */
  readonly dimensions?: TitanDimensions;
  /** InvokeModel calls in flight at once (Bedrock's on-demand quota is per minute). @default 8 */
  readonly concurrency?: number;
  /** A client to use; otherwise one is made from region / endpoint / credentials. */
  readonly client?: BedrockRuntimeClient;
  readonly region?: string;
  /** Endpoint override (tests, VPC endpoints). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** Titan v2 takes up to 8,192 tokens or 50,000 characters; a passage's opening carries its meaning. */
const MAX_CHARS = 40_000;

const responseSchema = z.object({
  embedding: z.array(z.number()).min(1),
  inputTextTokenCount: z.number().optional(),
});

export class TitanEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  /** Multilingual (Titan v2 covers 100+ languages): a Spanish question is embedded as it is. */
  readonly languages?: readonly string[];
  private readonly modelId: string;
  private readonly client: BedrockRuntimeClient;
  private readonly concurrency: number;

  constructor(options: TitanEmbedderOptions = {}) {
    const modelId = options.modelId ?? TITAN_EMBED_TEXT_V2;
    this.dimensions = options.dimensions ?? 512;
    // The dimension count is part of the model's identity: vectors of different sizes never mix.
    this.model = `${modelId}/${this.dimensions}`;
    this.modelId = modelId;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.client =
      options.client ??
      new BedrockRuntimeClient({
        maxAttempts: 3,
        ...(options.region ? { region: options.region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
      });
  }

  embed(texts: readonly string[]): Promise<number[][]> {
    return mapConcurrently(texts, this.concurrency, (text) => this.embedOne(text));
  }

  private async embedOne(text: string): Promise<number[]> {
    const inputText = text.slice(0, MAX_CHARS).trim() || ' ';
    const response = await this.client.send(
      new InvokeModelCommand({
        modelId: this.modelId,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText, dimensions: this.dimensions, normalize: true }),
      }),
    );
    const parsed = responseSchema.safeParse(JSON.parse(new TextDecoder().decode(response.body)));
    if (!parsed.success) throw new Error(`Titan embeddings: unexpected response: ${z.prettifyError(parsed.error)}`);
    if (parsed.data.embedding.length !== this.dimensions) {
      throw new Error(`Titan embeddings: got ${parsed.data.embedding.length} dimensions, asked for ${this.dimensions}`);
    }
    return parsed.data.embedding;
  }
}
