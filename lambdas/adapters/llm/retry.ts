/**
 * What the hosted language-model adapters share: one typed error, and one
 * retry policy (a deadline per attempt; exponential backoff with full jitter on
 * throttling, 5xx and network failures; an overall budget that fits a Lambda
 * invocation).
 *
 * An attempt that has already streamed text to the customer is never retried:
 * a second attempt would repeat or contradict what they have seen. It fails as
 * `interrupted` instead.
 */

export type LanguageModelProvider = 'bedrock' | 'openai';

export type LanguageModelFailure =
  /** 429 or a throttling exception: retried. */
  | 'throttled'
  /** 5xx, a model that is not ready, a dropped connection: retried. */
  | 'unavailable'
  /** No complete answer within the attempt's deadline: retried. */
  | 'timeout'
  /** The request itself was refused (4xx other than 429: bad model id, access denied, invalid input): not retried. */
  | 'rejected'
  /** The stream broke after text had reached the customer: not retried. */
  | 'interrupted';

const RETRYABLE: ReadonlySet<LanguageModelFailure> = new Set(['throttled', 'unavailable', 'timeout']);

export class LanguageModelError extends Error {
  constructor(
    readonly provider: LanguageModelProvider,
    readonly failure: LanguageModelFailure,
    message: string,
    /** Attempts made, including the one that failed. */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LanguageModelError';
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.failure);
  }
}

export interface RetryPolicy {
  /** @default 3 */
  readonly maxAttempts: number;
  /** Deadline of one attempt, from the request to the last streamed token. @default 15000 */
  readonly attemptTimeoutMs: number;
  /** All attempts and backoffs together stay within this (a later attempt gets what is left). @default 25000 */
  readonly totalBudgetMs: number;
  /** Backoff before retry n (1-based) is random in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))]. @default 250 */
  readonly baseDelayMs: number;
  /** @default 2000 */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 15_000,
  totalBudgetMs: 25_000,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
};

/** How an attempt failed, as the adapter classifies its SDK's errors. */
export interface Classified {
  readonly failure: Exclude<LanguageModelFailure, 'interrupted'>;
  readonly message: string;
}

export interface Attempt<T> {
  /** Runs one attempt; `signal` aborts at the attempt's deadline. `streamed()` reports whether text has reached the caller yet. */
  run(signal: AbortSignal): Promise<T>;
  streamed(): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1)));
}

/**
 * Runs `makeAttempt()` until one succeeds, an error is not retryable, text has
 * been streamed, or the attempts or the budget run out; failures become a
 * LanguageModelError.
 */
export async function withRetries<T>(
  provider: LanguageModelProvider,
  policy: RetryPolicy,
  classify: (error: unknown, timedOut: boolean) => Classified,
  makeAttempt: () => Attempt<T>,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const controller = new AbortController();
    let timedOut = false;
    const deadline = Math.max(1, Math.min(policy.attemptTimeoutMs, policy.totalBudgetMs - (Date.now() - started)));
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no complete answer within ${deadline} ms`));
    }, deadline);
    const current = makeAttempt();
    try {
      return await current.run(controller.signal);
    } catch (error) {
      const { failure, message } = classify(error, timedOut);
      if (current.streamed()) {
        throw new LanguageModelError(provider, 'interrupted', `${provider}: the answer stream broke after text was sent (${message})`, attempt, { cause: error });
      }
      const delay = backoffDelay(policy, attempt);
      const outOfTime = Date.now() - started + delay >= policy.totalBudgetMs;
      if (!RETRYABLE.has(failure) || attempt >= policy.maxAttempts || outOfTime) {
        throw new LanguageModelError(provider, failure, `${provider}: ${message} (after ${attempt} attempt${attempt === 1 ? '' : 's'})`, attempt, { cause: error });
      }
      await sleep(delay);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Network-level failures (no HTTP status) that are worth another attempt. */
export function isNetworkError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_GOAWAY_SESSION'].includes(code);
}
