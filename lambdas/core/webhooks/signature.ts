/**
 * Signatures of Concierge's outbound webhooks, Stripe-style: the header
 * `Concierge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` covers the exact bytes
 * of the body and the time they were signed, so a receiver can refuse a tampered body and a replay older than its
 * tolerance. `verifyConciergeSignature` is what docs/webhooks.md tells receivers to run (and what the tests run).
 * Only node:crypto: receivers may copy this file as it is.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The signature header's name (HTTP headers are case-insensitive; Node lower-cases them). */
export const SIGNATURE_HEADER = 'Concierge-Signature';
export const EVENT_ID_HEADER = 'Concierge-Event-Id';
export const EVENT_TYPE_HEADER = 'Concierge-Event-Type';

/** Signing secrets: `whsec_` and 32 random bytes, base64url. */
export const SIGNING_SECRET_PATTERN = /^whsec_[A-Za-z0-9_-]{43}$/;

/** A new signing secret (shown once to the admin who created the subscription). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The `Concierge-Signature` header value for a body sent at `timestamp` (unix seconds). */
export function signConciergePayload(rawBody: string | Buffer, secret: string, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new Error('the timestamp must be whole unix seconds');
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, rawBody)}`;
}

/** `t=…,v1=…[,v1=…]` → its timestamp and v1 signatures; undefined when malformed. */
export function parseSignatureHeader(header: string): { readonly timestamp: number; readonly signatures: readonly string[] } | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (/^[0-9a-f]{64}$/.test(value)) signatures.push(value);
    }
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/**
 * True when `header` is a valid `Concierge-Signature` of `rawBody` under `secret`, made at most
 * `toleranceSeconds` before (or after) `nowSeconds`. Compare the raw body exactly as received — before any JSON
 * parsing. Several `v1=` values are accepted (one matching is enough), for secret rotation.
 */
export function verifyConciergeSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed) return false;
  if (Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, parsed.timestamp, rawBody), 'hex');
  return parsed.signatures.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
}
