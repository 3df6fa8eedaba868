/** Random identifiers. `crypto.randomUUID` needs a secure context; `getRandomValues` does not. */

export type RandomBytes = (n: number) => Uint8Array;

export const browserRandomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** 32 characters of [a-f0-9]: a UUID v4 without dashes when available, else 16 random bytes. */
export function newVisitorId(random: RandomBytes = browserRandomBytes): string {
  const c: Partial<Pick<Crypto, 'randomUUID'>> = typeof crypto === 'object' ? crypto : {};
  if (typeof c.randomUUID === 'function' && random === browserRandomBytes) {
    try {
      return c.randomUUID().replace(/-/g, '');
    } catch {
      // insecure context: fall through
    }
  }
  return hex(random(16));
}

export function isVisitorId(v: unknown): v is string {
  return typeof v === 'string' && /^[a-f0-9]{32}$/.test(v);
}

/** A client message id matching the protocol's id rule (8-64 of [A-Za-z0-9_-]): 24 hex characters. */
export function newClientId(random: RandomBytes = browserRandomBytes): string {
  return hex(random(12));
}
