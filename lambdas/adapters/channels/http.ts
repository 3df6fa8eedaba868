/**
 * HTTP plumbing shared by the channel senders: one call with a timeout, and the classification of a provider's
 * answer into success, a retryable failure (429, 5xx, network, timeout) or a permanent one (any other 4xx). Error
 * messages are scrubbed of numbers that could be phone numbers before they are recorded.
 */
import { DeliveryError } from '../../core/channels/outbound';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Removes anything that looks like a phone number or a token from a provider's error message. */
export function scrub(message: string): string {
  return message
    .replace(/\+?\d[\d\s().-]{5,}\d/g, '[number]')
    .replace(/[A-Za-z0-9_-]{32,}/g, '[redacted]')
    .slice(0, 300);
}

/** Retry-After in seconds (or an HTTP date) → milliseconds. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** POSTs and returns the JSON answer of a 2xx; throws a DeliveryError otherwise. `describe` names the provider's error. */
export async function postForJson(
  fetchImpl: FetchLike,
  url: string,
  init: { readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly timeoutMs: number },
  describe: (status: number, body: unknown) => { code: string; message: string },
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs) });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    throw new DeliveryError(false, name === 'TimeoutError' ? 'timeout' : 'network', `provider unreachable (${name})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return body;
  const { code, message } = describe(response.status, body);
  const retryable = response.status === 429 || response.status >= 500;
  throw new DeliveryError(!retryable, code, scrub(message), retryable ? retryAfterMs(response.headers.get('retry-after')) : undefined);
}
