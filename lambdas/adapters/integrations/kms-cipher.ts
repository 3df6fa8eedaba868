/**
 * The AWS SecretCipher: KMS envelope encryption. Each secret gets its own data key from KMS
 * `GenerateDataKey` (AES_256) bound to the encryption context (tenant id and provider); the JSON is sealed
 * with AES-256-GCM under that data key (the context again as authenticated data) and only the KMS-encrypted
 * data key is kept. Opening calls KMS `Decrypt` with the same context, so a ciphertext copied to another
 * tenant's item fails in KMS itself (and IAM can require the context: lib/constructs/concierge-function.ts).
 */
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { z } from 'zod';
import type { SecretCipher } from '../../core/integrations';
import { SecretDecryptionError, contextAad, openGcm, parseEnvelope, sealGcm } from './local-cipher';

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const kmsEnvelope = z.strictObject({
  v: z.literal(1),
  kind: z.literal('kms'),
  keyId: z.string().min(1),
  encryptedDataKey: b64.min(1),
  iv: b64,
  tag: b64,
  ciphertext: b64,
});

/** KMS refuses a data key for reasons of its own (wrong context, tampered blob): a decryption error, not an outage. */
const KMS_REFUSALS = new Set(['InvalidCiphertextException', 'IncorrectKeyException', 'InvalidKeyUsageException']);

/** KMS envelope encryption under one key (`INTEGRATIONS_KMS_KEY_ID`). */
export class KmsSecretCipher implements SecretCipher {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no data key');
    const dataKey = Buffer.from(out.Plaintext);
    try {
      const sealed = sealGcm(dataKey, plaintext, contextAad(context));
      return JSON.stringify({ v: 1, kind: 'kms', keyId: out.KeyId ?? this.keyId, encryptedDataKey: Buffer.from(out.CiphertextBlob).toString('base64'), ...sealed });
    } finally {
      dataKey.fill(0);
      out.Plaintext.fill(0);
    }
  }

  async decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string> {
    const envelope = parseEnvelope(kmsEnvelope, ciphertext, 'KMS');
    let plainKey: Uint8Array | undefined;
    try {
      const out = await this.kms.send(
        new DecryptCommand({ CiphertextBlob: Buffer.from(envelope.encryptedDataKey, 'base64'), EncryptionContext: { ...context }, KeyId: envelope.keyId }),
      );
      plainKey = out.Plaintext;
    } catch (error) {
      if (error instanceof Error && KMS_REFUSALS.has(error.name)) throw new SecretDecryptionError(`KMS refused the data key (${error.name})`);
      throw error;
    }
    if (!plainKey || plainKey.length !== 32) throw new SecretDecryptionError('KMS returned no 256-bit data key');
    const dataKey = Buffer.from(plainKey);
    try {
      return openGcm(dataKey, envelope, contextAad(context));
    } finally {
      dataKey.fill(0);
      plainKey.fill(0);
    }
  }
}
