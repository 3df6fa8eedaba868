/**
 * The local cloud's SecretCipher: AES-256-GCM directly under one 32-byte key kept in the local data folder
 * (`LOCAL_SECRETS_KEY`), the encryption context bound as additional authenticated data. Same envelope shape
 * as the KMS cipher, without a data key: a ciphertext moved to another tenant or provider does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { SecretCipher } from '../../core/integrations';

/** Thrown when a ciphertext cannot be opened: tampered, another context, another key, or not ours. */
export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt the stored secret: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

const IV_BYTES = 12;
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** The context as authenticated data: its entries sorted by name, so the order of the object does not matter. */
export function contextAad(context: Readonly<Record<string, string>>): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), 'utf8');
}

/** AES-256-GCM under `key`; returns iv, tag and ciphertext. */
export function sealGcm(key: Buffer, plaintext: string, aad: Buffer): { iv: string; tag: string; ciphertext: string } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
}

/** Opens what {@link sealGcm} sealed; throws SecretDecryptionError when anything was changed. */
export function openGcm(key: Buffer, sealed: { readonly iv: string; readonly tag: string; readonly ciphertext: string }, aad: Buffer): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptionError('the ciphertext or its context does not match');
  }
}

const localEnvelope = z.strictObject({ v: z.literal(1), kind: z.literal('local'), iv: b64, tag: b64, ciphertext: b64 });

/** Parses a stored envelope of `schema`, refusing anything else with SecretDecryptionError. */
export function parseEnvelope<T>(schema: z.ZodType<T>, stored: string, kind: string): T {
  let json: unknown;
  try {
    json = JSON.parse(stored);
  } catch {
    throw new SecretDecryptionError('not an encrypted envelope');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new SecretDecryptionError(`not a ${kind} envelope`);
  return parsed.data;
}

/** Reads `LOCAL_SECRETS_KEY`: 32 bytes as base64 or as 64 hex characters. */
export function localKeyFrom(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new Error('configuration error: LOCAL_SECRETS_KEY must be 32 bytes (base64 or 64 hex characters)');
  return key;
}

/** AES-256-GCM with the local key; the context is the authenticated data. */
export class LocalSecretCipher implements SecretCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('LocalSecretCipher needs a 32-byte key');
    this.key = Buffer.from(key);
  }

  async encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    return JSON.stringify({ v: 1, kind: 'local', ...sealGcm(this.key, plaintext, contextAad(context)) });
  }

  async decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    return openGcm(this.key, parseEnvelope(localEnvelope, ciphertext, 'local'), contextAad(context));
  }
}
