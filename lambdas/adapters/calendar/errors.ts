/**
 * The two ways an external calendar call fails, named so that the booking
 * workflow's `Retry` can tell them apart by error name (a Lambda error's
 * `errorType` is the error's `name`):
 *
 * - `CalendarRetryableError`: throttled (429, Google's 403 rate-limit reasons), the provider is down (5xx, 408),
 *   the network failed or the call timed out — the same call may succeed later;
 * - `CalendarRejectedError`: the provider refused the request (401/403: a revoked or under-scoped token;
 *   other 4xx: a request it will never accept) — retrying cannot help, an owner must fix the integration.
 *
 * Messages carry the provider's status and its own error message, never a token.
 */
import type { Calendar } from '../../core/booking/ports';

export type ExternalCalendarProvider = Exclude<Calendar['provider'], 'builtin'>;

/** Worth retrying later; `retryAfterSeconds` when the provider said how long to wait. */
export class CalendarRetryableError extends Error {
  override readonly name = 'CalendarRetryableError';
  readonly retryable = true;

  constructor(
    readonly provider: ExternalCalendarProvider,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(`${provider} calendar: ${message}`, options);
  }
}

/** Refused for good (credentials, permissions, an invalid request); retrying cannot help. */
export class CalendarRejectedError extends Error {
  override readonly name = 'CalendarRejectedError';
  readonly retryable = false;

  constructor(
    readonly provider: ExternalCalendarProvider,
    message: string,
    readonly status?: number,
  ) {
    super(`${provider} calendar: ${message}`);
  }
}

/** The error names, as the booking ASL's `Retry` / `Catch` `ErrorEquals` lists them. */
export const calendarErrorNames = { retryable: 'CalendarRetryableError', rejected: 'CalendarRejectedError' } as const;
