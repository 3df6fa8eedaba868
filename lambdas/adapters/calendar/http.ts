/**
 * The one HTTP call the external calendar adapters make: a bearer token from a
 * provider function, JSON in and out, a deadline, and the status mapping of
 * errors.ts. Statuses an adapter handles itself (409 on create, 404/410 on
 * delete) are listed in `expect` and returned instead of thrown.
 */
import { z } from 'zod';
import { CalendarRejectedError, CalendarRetryableError, type ExternalCalendarProvider } from './errors';

/**
 * Gives a current OAuth bearer token. A static token from configuration is `async () => token`; a refreshing
 * source (a Google service account, an Entra client-credentials grant) plugs in here without touching the adapters.
 */
export type BearerTokenProvider = () => Promise<string>;

export interface ProviderCall {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly body?: unknown;
  /** Statuses returned to the caller; any other status is thrown as a calendar error. */
  readonly expect: readonly number[];
}

export interface ProviderReply {
  readonly status: number;
  /** The parsed JSON body; undefined when empty or not JSON. */
  readonly body: unknown;
}

export interface CallOptions {
  readonly provider: ExternalCalendarProvider;
  readonly token: BearerTokenProvider;
  readonly timeoutMs: number;
  /** A provider's way of saying "throttled" with a status other than 429 (Google: 403 rateLimitExceeded). */
  readonly isThrottled?: (status: number, body: unknown) => boolean;
}

export const DEFAULT_TIMEOUT_MS = 5000;

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

// Google and Graph: { error: { message } }; Calendly: { title, message } or { message }.
const errorBody = z.union([
  z.object({ error: z.object({ message: z.string() }) }).transform((b) => b.error.message),
  z.object({ title: z.string(), message: z.string().optional() }).transform((b) => (b.message ? `${b.title}: ${b.message}` : b.title)),
  z.object({ message: z.string() }).transform((b) => b.message),
]);

/** The provider's own error message, shortened; never echoes request headers. */
function providerMessage(status: number, body: unknown): string {
  const parsed = errorBody.safeParse(body);
  const text = parsed.success ? parsed.data : '';
  return `${status}${text ? ` ${text.slice(0, 300)}` : ''}`;
}

function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Makes the call; throws CalendarRetryableError / CalendarRejectedError for statuses not in `expect`. */
export async function callProvider(options: CallOptions, call: ProviderCall): Promise<ProviderReply> {
  const { provider } = options;
  const token = await options.token();
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new CalendarRetryableError(provider, timedOut ? `no answer within ${options.timeoutMs} ms` : `network error (${error instanceof Error ? error.message : String(error)})`, undefined, undefined, {
      cause: error,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (call.expect.includes(response.status)) return { status: response.status, body };

  const what = `${call.method} ${new URL(call.url).pathname} → ${providerMessage(response.status, body)}`;
  if (RETRYABLE_STATUSES.has(response.status) || options.isThrottled?.(response.status, body)) {
    throw new CalendarRetryableError(provider, what, response.status, retryAfterSeconds(response.headers.get('retry-after')));
  }
  throw new CalendarRejectedError(provider, what, response.status);
}

/** Parses a provider's success body with a schema; a body that does not fit is the provider's fault, worth a retry. */
export function parseReply<T>(provider: ExternalCalendarProvider, schema: z.ZodType<T>, reply: ProviderReply, what: string): T {
  const parsed = schema.safeParse(reply.body);
  if (!parsed.success) throw new CalendarRetryableError(provider, `unexpected ${what} reply (${reply.status}): ${parsed.error.issues[0]?.message ?? 'invalid'}`, reply.status);
  return parsed.data;
}

/** A base URL without its trailing slash. */
export function trimBase(url: string): string {
  return url.replace(/\/+$/, '');
}
