/**
 * Errors from the admin API, in one shape the UI can show. The server answers
 * `{ error: { code, message, field?, correlationId? } }`; anything else (API
 * Gateway's own `{ message }`, an HTML error page, no network) is mapped here.
 */
import { isRecord } from './decode';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly correlationId?: string;
  /** The whole parsed error body, for replies that carry more than the error (a refused booking's `alternatives`). */
  readonly body?: unknown;

  constructor(init: { status: number; code: string; message: string; field?: string; correlationId?: string; body?: unknown }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    if (init.field !== undefined) this.field = init.field;
    if (init.correlationId !== undefined) this.correlationId = init.correlationId;
    if (init.body !== undefined) this.body = init.body;
  }
}

/** Status 0 stands for "no HTTP answer at all". */
export const NETWORK_STATUS = 0;

export function messageForStatus(status: number): string {
  if (status === NETWORK_STATUS) return 'Could not reach the server. Check your connection and try again.';
  if (status === 400) return 'The request was not accepted.';
  if (status === 401) return 'Your session has expired. Sign out and sign in again.';
  if (status === 403) return 'You do not have permission to do that.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'That changed in the meantime. Refresh and try again.';
  if (status === 413) return 'That is too large for the server.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `The server answered with status ${status}.`;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** Builds the ApiError for a non-2xx answer from its status and parsed body (or undefined when it was not JSON). */
export function parseApiError(status: number, body: unknown): ApiError {
  const error = isRecord(body) ? body.error : undefined;
  if (isRecord(error)) {
    const code = nonEmptyString(error.code) ?? `http_${status}`;
    const message = nonEmptyString(error.message) ?? messageForStatus(status);
    const field = nonEmptyString(error.field);
    const correlationId = nonEmptyString(error.correlationId);
    return new ApiError({
      status,
      code,
      message,
      ...(field !== undefined ? { field } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
      body,
    });
  }
  return new ApiError({ status, code: `http_${status}`, message: messageForStatus(status) });
}

export function networkError(): ApiError {
  return new ApiError({ status: NETWORK_STATUS, code: 'network', message: messageForStatus(NETWORK_STATUS) });
}

/** What the UI shows for any thrown value. */
export interface ErrorView {
  readonly message: string;
  readonly field?: string;
  readonly correlationId?: string;
}

export function describeError(err: unknown): ErrorView {
  if (err instanceof ApiError) {
    return {
      message: err.message,
      ...(err.field !== undefined ? { field: err.field } : {}),
      ...(err.correlationId !== undefined ? { correlationId: err.correlationId } : {}),
    };
  }
  if (err instanceof Error && err.message) return { message: err.message };
  return { message: 'Something went wrong.' };
}

/** True for the rejection of a request cancelled through its AbortSignal. */
export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'name' in err && err.name === 'AbortError';
}

/** Parses a response body that should be JSON; undefined when empty or not JSON. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed;
  } catch {
    return undefined;
  }
}
