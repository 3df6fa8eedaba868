/**
 * Amazon Bedrock as the LanguageModel: the Converse API, streamed
 * (ConverseStream), so the answer reaches the customer as it is written. The
 * same prompt and citation handling as every hosted model (prompt.ts); the
 * same retry policy and typed error (retry.ts). The SDK's own retries are off
 * so that one policy decides, and so that nothing is retried after text has
 * been streamed.
 */
import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { ComposeInput, LanguageModel } from '../../core/ports';
import { buildPrompt, CitationFilter, citedPassageIds } from './prompt';
import { defaultRetryPolicy, isNetworkError, withRetries, type Classified, type RetryPolicy } from './retry';

/** Amazon Nova Lite: multilingual, fast and inexpensive, on demand in the main regions. */
export const DEFAULT_BEDROCK_MODEL_ID = 'amazon.nova-lite-v1:0';

export interface BedrockModelOptions {
  /** Model id or inference profile id (`us.anthropic…`, `eu.amazon.nova-lite-v1:0`). @default DEFAULT_BEDROCK_MODEL_ID */
  readonly modelId?: string;
  /** @default 512 */
  readonly maxTokens?: number;
  /** @default 0.2 */
  readonly temperature?: number;
  /** @default defaultRetryPolicy */
  readonly retry?: Partial<RetryPolicy>;
}

export interface BedrockClientOptions {
  readonly region?: string;
  /** Endpoint override (tests, VPC endpoints). */
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Socket connection timeout. @default 3000 */
  readonly connectionTimeoutMs?: number;
}

/** A Bedrock Runtime client for this adapter: SDK retries off (retry.ts decides), connection timeout set. */
export function bedrockRuntimeClient(options: BedrockClientOptions = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    maxAttempts: 1,
    requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 3000 },
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
  });
}

const THROTTLING = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException', 'throttlingException']);
const UNAVAILABLE = new Set([
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelNotReadyException',
  'ModelStreamErrorException',
  'serviceUnavailableException',
  'internalServerException',
  'modelStreamErrorException',
]);

export function classifyBedrockError(error: unknown, timedOut: boolean): Classified {
  if (timedOut) return { failure: 'timeout', message: error instanceof Error ? error.message : 'timed out' };
  if (error instanceof BedrockRuntimeServiceException) {
    // Exceptions that arrive inside the event stream carry no HTTP metadata.
    const status: number | undefined = error.$metadata?.httpStatusCode;
    const what = `${error.name}${status ? ` (${status})` : ''}: ${error.message}`;
    if (THROTTLING.has(error.name) || status === 429) return { failure: 'throttled', message: what };
    if (error.name === 'ModelTimeoutException') return { failure: 'timeout', message: what };
    if (UNAVAILABLE.has(error.name) || (status !== undefined && status >= 500)) return { failure: 'unavailable', message: what };
    return { failure: 'rejected', message: what };
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return { failure: 'timeout', message: error.message };
  if (isNetworkError(error)) return { failure: 'unavailable', message: error instanceof Error ? error.message : 'network error' };
  return { failure: 'unavailable', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

/** An exception delivered inside the event stream (rather than thrown by the SDK), as an error. */
function streamException(event: ConverseStreamOutput): Error | undefined {
  const exception =
    event.throttlingException ?? event.serviceUnavailableException ?? event.internalServerException ?? event.modelStreamErrorException ?? event.validationException;
  return exception;
}

export class BedrockLanguageModel implements LanguageModel {
  private readonly modelId: string;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly options: BedrockModelOptions = {},
  ) {
    this.modelId = options.modelId ?? DEFAULT_BEDROCK_MODEL_ID;
    this.policy = { ...defaultRetryPolicy, ...options.retry };
  }

  async compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }> {
    const prompt = buildPrompt(input);
    const command = new ConverseStreamCommand({
      modelId: this.modelId,
      system: [{ text: prompt.system }],
      messages: [{ role: 'user', content: [{ text: prompt.user }] }],
      inferenceConfig: { maxTokens: this.options.maxTokens ?? 512, temperature: this.options.temperature ?? 0.2 },
    });
    return withRetries('bedrock', this.policy, classifyBedrockError, () => {
      const filter = new CitationFilter();
      let text = '';
      const deliver = (piece: string): void => {
        if (piece.length === 0) return;
        text += piece;
        input.onDelta?.(piece);
      };
      return {
        streamed: () => text.length > 0,
        run: async (signal) => {
          const output = await this.client.send(command, { abortSignal: signal });
          if (!output.stream) throw new Error('Bedrock returned no stream');
          for await (const event of output.stream) {
            const failure = streamException(event);
            if (failure) throw failure;
            const delta = event.contentBlockDelta?.delta?.text;
            if (delta) deliver(filter.push(delta));
            signal.throwIfAborted();
          }
          deliver(filter.end());
          return { text, usedPassageIds: citedPassageIds(filter.numbers, input.passages) };
        },
      };
    });
  }
}
