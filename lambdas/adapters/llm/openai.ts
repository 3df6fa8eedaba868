/**
 * OpenAI as the LanguageModel: chat completions, streamed. The same prompt and
 * citation handling as every hosted model (prompt.ts); the same retry policy
 * and typed error (retry.ts). The SDK's own retries are off so that one policy
 * decides, and so that nothing is retried after text has been streamed.
 * `baseURL` points it at any OpenAI-compatible endpoint (and at the tests' fake).
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ComposeInput, LanguageModel } from '../../core/ports';
import { buildPrompt, CitationFilter, citedPassageIds } from './prompt';
import { defaultRetryPolicy, isNetworkError, withRetries, type Classified, type RetryPolicy } from './retry';

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

export interface OpenAiModelOptions {
  readonly apiKey: string;
  /** @default https://api.openai.com/v1 */
  readonly baseURL?: string;
  /** @default DEFAULT_OPENAI_MODEL */
  readonly model?: string;
  /** @default 512 */
  readonly maxTokens?: number;
  /** @default 0.2 */
  readonly temperature?: number;
  /** @default defaultRetryPolicy */
  readonly retry?: Partial<RetryPolicy>;
}

export function classifyOpenAiError(error: unknown, timedOut: boolean): Classified {
  if (timedOut || error instanceof APIConnectionTimeoutError) return { failure: 'timeout', message: error instanceof Error ? error.message : 'timed out' };
  if (error instanceof APIUserAbortError) return { failure: 'timeout', message: error.message };
  if (error instanceof APIConnectionError) return { failure: 'unavailable', message: error.message };
  if (error instanceof APIError) {
    const status = error.status;
    const what = `${status ?? 'stream error'}: ${error.message}`;
    if (status === 429) return { failure: 'throttled', message: what };
    // A 408 (request timeout) or 409 (conflict) is worth another attempt, as the SDK itself assumes; so is an error event inside the stream.
    if (status === undefined || status === 408 || status === 409 || status >= 500) return { failure: 'unavailable', message: what };
    return { failure: 'rejected', message: what };
  }
  if (isNetworkError(error)) return { failure: 'unavailable', message: error instanceof Error ? error.message : 'network error' };
  return { failure: 'unavailable', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

export class OpenAiLanguageModel implements LanguageModel {
  private readonly client: OpenAI;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: OpenAiModelOptions) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.client = new OpenAI({
      apiKey: options.apiKey,
      // An explicit base URL, so OPENAI_BASE_URL in the environment never silently redirects answers.
      baseURL: options.baseURL ?? 'https://api.openai.com/v1',
      maxRetries: 0,
      timeout: this.policy.attemptTimeoutMs,
    });
  }

  async compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }> {
    const prompt = buildPrompt(input);
    return withRetries('openai', this.policy, classifyOpenAiError, () => {
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
          const stream = await this.client.chat.completions.create(
            {
              model: this.options.model ?? DEFAULT_OPENAI_MODEL,
              stream: true,
              messages: [
                { role: 'system', content: prompt.system },
                { role: 'user', content: prompt.user },
              ],
              max_completion_tokens: this.options.maxTokens ?? 512,
              temperature: this.options.temperature ?? 0.2,
            },
            { signal },
          );
          for await (const chunk of stream) {
            const delta = chunk.choices[0]?.delta?.content;
            if (delta) deliver(filter.push(delta));
          }
          deliver(filter.end());
          return { text, usedPassageIds: citedPassageIds(filter.numbers, input.passages) };
        },
      };
    });
  }
}
