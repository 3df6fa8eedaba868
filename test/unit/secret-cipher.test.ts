/**
 * The SecretCiphers of integration credentials. The local one (AES-256-GCM under the local key, the context
 * as authenticated data) in process; the KMS one through the real @aws-sdk/client-kms against a fake KMS on
 * 127.0.0.1 that speaks the JSON 1.1 protocol (`TrentService.GenerateDataKey` / `TrentService.Decrypt`) and,
 * like KMS, binds each data key to its encryption context. Tampering and a wrong context must fail.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { z } from 'zod';
import { KmsSecretCipher, LocalSecretCipher, SecretDecryptionError, hintsOf, localKeyFrom } from '../../lambdas/adapters/integrations';
import { secretCipherFromConfig } from '../../lambdas/adapters/integrations/index';
import { loadConfig } from '../../lambdas/adapters/config';

const context = { tenantId: 'harbour-dental', provider: 'stripe' };
const secretJson = JSON.stringify({ secretKey: 'sk_test_51Habc1234', webhookSecret: 'whsec_abcdef' });

/** Flips one bit of one base64 field of a stored envelope. */
function tamper(stored: string, field: string): string {
  const envelope = z.record(z.string(), z.unknown()).parse(JSON.parse(stored));
  const bytes = Buffer.from(z.string().parse(envelope[field]), 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return JSON.stringify({ ...envelope, [field]: bytes.toString('base64') });
}

describe('LocalSecretCipher', () => {
  const cipher = new LocalSecretCipher(randomBytes(32));

  it('round-trips, with a fresh IV each time, and keeps no plaintext in the envelope', async () => {
    const a = await cipher.encrypt(secretJson, context);
    const b = await cipher.encrypt(secretJson, context);
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk_test_51Habc1234');
    expect(JSON.parse(a)).toEqual({ v: 1, kind: 'local', iv: expect.any(String), tag: expect.any(String), ciphertext: expect.any(String) });
    await expect(cipher.decrypt(a, context)).resolves.toBe(secretJson);
    // The order of the context's entries does not matter; their values do.
    await expect(cipher.decrypt(a, { provider: 'stripe', tenantId: 'harbour-dental' })).resolves.toBe(secretJson);
  });

  it('refuses another tenant, another provider, another key, and any tampered field', async () => {
    const sealed = await cipher.encrypt(secretJson, context);
    await expect(cipher.decrypt(sealed, { ...context, tenantId: 'other-clinic' })).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(cipher.decrypt(sealed, { ...context, provider: 'twilio' })).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(new LocalSecretCipher(randomBytes(32)).decrypt(sealed, context)).rejects.toBeInstanceOf(SecretDecryptionError);
    for (const field of ['iv', 'tag', 'ciphertext']) await expect(cipher.decrypt(tamper(sealed, field), context)).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(cipher.decrypt('not json', context)).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(cipher.decrypt(JSON.stringify({ v: 1, kind: 'kms' }), context)).rejects.toThrow(/not a local envelope/);
  });

  it('round-trips any text under any context (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), fc.string({ minLength: 1, maxLength: 40 }), async (text, tenantId) => {
        const sealed = await cipher.encrypt(text, { tenantId, provider: 'meta' });
        expect(await cipher.decrypt(sealed, { tenantId, provider: 'meta' })).toBe(text);
      }),
      { numRuns: 60 },
    );
  });

  it('reads LOCAL_SECRETS_KEY as base64 or hex, and refuses other lengths without echoing the value', () => {
    const key = randomBytes(32);
    expect(localKeyFrom(key.toString('base64')).equals(key)).toBe(true);
    expect(localKeyFrom(key.toString('hex')).equals(key)).toBe(true);
    expect(() => localKeyFrom(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    const short = 'c2hvcnQta2V5';
    expect(() => loadConfig([], { LOCAL_SECRETS_KEY: short })).toThrow(/LOCAL_SECRETS_KEY: must be 32 bytes/);
    try {
      loadConfig([], { LOCAL_SECRETS_KEY: short });
    } catch (error) {
      expect(String(error)).not.toContain(short);
    }
  });
});

// ---- a fake KMS: JSON 1.1, data keys sealed under a master key with the context as authenticated data ----

interface KmsCall {
  readonly target: string;
  readonly body: Record<string, unknown>;
  readonly authorization: string;
}

const kmsRequest = z.object({
  KeyId: z.string().optional(),
  KeySpec: z.string().optional(),
  CiphertextBlob: z.string().optional(),
  EncryptionContext: z.record(z.string(), z.string()).optional(),
});

function startFakeKms(keyArn: string): Promise<{ url: string; calls: KmsCall[]; server: Server }> {
  const master = randomBytes(32);
  const calls: KmsCall[] = [];
  const aad = (ctx: Record<string, string> | undefined) => Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort()));
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server = createServer((req, res) => {
    void read(req).then((text) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = kmsRequest.parse(JSON.parse(text || '{}'));
      calls.push({ target, body: z.record(z.string(), z.unknown()).parse(JSON.parse(text || '{}')), authorization: String(req.headers['authorization'] ?? '') });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target === 'TrentService.GenerateDataKey') {
        if (body.KeySpec !== 'AES_256') return reply(400, { __type: 'ValidationException', message: 'KeySpec' });
        const dataKey = randomBytes(32);
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', master, iv);
        c.setAAD(aad(body.EncryptionContext));
        const blob = Buffer.concat([iv, Buffer.concat([c.update(dataKey), c.final()]), c.getAuthTag()]);
        return reply(200, { KeyId: keyArn, Plaintext: dataKey.toString('base64'), CiphertextBlob: blob.toString('base64') });
      }
      if (target === 'TrentService.Decrypt') {
        try {
          const blob = Buffer.from(body.CiphertextBlob ?? '', 'base64');
          const d = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12));
          d.setAAD(aad(body.EncryptionContext));
          d.setAuthTag(blob.subarray(blob.length - 16));
          const dataKey = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
          return reply(200, { KeyId: keyArn, Plaintext: dataKey.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
        } catch {
          return reply(400, { __type: 'InvalidCiphertextException', message: 'The ciphertext is invalid' });
        }
      }
      return reply(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server })));
}

describe('KmsSecretCipher (the real KMS client against a fake KMS)', () => {
  const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  let kms: Awaited<ReturnType<typeof startFakeKms>>;
  let cipher: ReturnType<typeof secretCipherFromConfig>;

  beforeAll(async () => {
    kms = await startFakeKms(keyArn);
    cipher = secretCipherFromConfig(loadConfig([], { INTEGRATIONS_KMS_KEY_ID: 'alias/concierge-integrations', AWS_ENDPOINT_URL_KMS: kms.url }));
  });
  afterAll(() => new Promise<void>((resolve) => kms.server.close(() => resolve())));
  beforeEach(() => {
    kms.calls.length = 0;
  });

  it('is chosen by INTEGRATIONS_KMS_KEY_ID (over a local key) and seals with a data key bound to the context', async () => {
    expect(cipher).toBeInstanceOf(KmsSecretCipher);
    const both = secretCipherFromConfig({ INTEGRATIONS_KMS_KEY_ID: 'alias/x', LOCAL_SECRETS_KEY: randomBytes(32).toString('base64') });
    expect(both).toBeInstanceOf(KmsSecretCipher);

    const sealed = await cipher.encrypt(secretJson, context);
    expect(kms.calls).toEqual([
      {
        target: 'TrentService.GenerateDataKey',
        body: { KeyId: 'alias/concierge-integrations', KeySpec: 'AES_256', EncryptionContext: context },
        authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/kms\/aws4_request/),
      },
    ]);
    const envelope = JSON.parse(sealed) as unknown;
    expect(envelope).toEqual({ v: 1, kind: 'kms', keyId: keyArn, encryptedDataKey: expect.any(String), iv: expect.any(String), tag: expect.any(String), ciphertext: expect.any(String) });
    expect(sealed).not.toContain('sk_test_51Habc1234');

    await expect(cipher.decrypt(sealed, context)).resolves.toBe(secretJson);
    expect(kms.calls[1]).toMatchObject({ target: 'TrentService.Decrypt', body: { KeyId: keyArn, EncryptionContext: context } });
  });

  it('fails with another context (KMS refuses the data key) and with any tampered field', async () => {
    const sealed = await cipher.encrypt(secretJson, context);
    await expect(cipher.decrypt(sealed, { ...context, tenantId: 'other-clinic' })).rejects.toThrow(/KMS refused the data key \(InvalidCiphertextException\)/);
    await expect(cipher.decrypt(tamper(sealed, 'encryptedDataKey'), context)).rejects.toBeInstanceOf(SecretDecryptionError);
    for (const field of ['iv', 'tag', 'ciphertext']) await expect(cipher.decrypt(tamper(sealed, field), context)).rejects.toBeInstanceOf(SecretDecryptionError);
    // A local envelope is not a KMS one.
    const local = await new LocalSecretCipher(randomBytes(32)).encrypt(secretJson, context);
    await expect(cipher.decrypt(local, context)).rejects.toThrow(/not a KMS envelope/);
  });
});

describe('hintsOf', () => {
  it('shows what recognises credentials and nothing secret', () => {
    const stripe = { secretKey: 'sk_live_51HzzSECRET9876', webhookSecret: 'whsec_topsecret' };
    expect(hintsOf('stripe', stripe)).toEqual({ mode: 'live', keyType: 'secret', keyLast4: '9876' });
    expect(hintsOf('stripe', { ...stripe, secretKey: 'rk_test_abc1234' })).toEqual({ mode: 'test', keyType: 'restricted', keyLast4: '1234' });
    const twilio = {
      accountSid: `AC${'a'.repeat(32)}`,
      authToken: 'f'.repeat(32),
      smsFrom: '+353861234567',
      templates: { reminder: `HX${'1'.repeat(32)}` },
    };
    expect(hintsOf('twilio', twilio)).toEqual({ accountSid: twilio.accountSid, smsFrom: '+353861234567', templates: 'reminder', 'templates.reminder': `HX${'1'.repeat(32)}` });
    const meta = { pageId: '1234567890', pageAccessToken: 'EAAGsecret', appSecret: 'e'.repeat(32), verifyToken: 'verify-me-123' };
    expect(hintsOf('meta', meta)).toEqual({ pageId: '1234567890' });
    expect(hintsOf('google', { calendarId: 'primary', accessToken: 'ya29.secret' })).toEqual({ calendarId: 'primary' });
    expect(hintsOf('calendly', { token: 'cal-secret', eventTypeUri: 'https://api.calendly.com/event_types/abc' })).toEqual({
      eventTypeUri: 'https://api.calendly.com/event_types/abc',
    });
    const all = JSON.stringify([hintsOf('stripe', stripe), hintsOf('twilio', twilio), hintsOf('meta', meta)]);
    for (const secret of ['sk_live_51HzzSECRET9876', 'whsec_topsecret', 'f'.repeat(32), 'EAAGsecret', 'e'.repeat(32), 'verify-me-123']) expect(all).not.toContain(secret);
  });
});
