/**
 * The SES e-mail adapter, built the way production builds it (emailFromConfig over loadConfig), against a
 * local server that speaks the SESv2 REST API (`POST /v2/email/outbound-emails`, JSON) and checks each
 * request's SigV4 signature with the official signer and the test's static credentials.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { loadConfig } from '../../lambdas/adapters/config';
import { emailFromConfig } from '../../lambdas/adapters/email';
import type { EmailSender, OutgoingEmail } from '../../lambdas/core/handoff-ports';

const credentials = { accessKeyId: 'AKIDSESTEST00000000', secretAccessKey: 'ses-test-secret-key' };

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  /** The Authorization header equals the official signer's, for these credentials and the request's date. */
  readonly signatureValid: boolean;
}

let server: Server;
let endpoint: string;
const received: Received[] = [];
const replies: Array<{ status: number; errorType?: string; body: unknown }> = [];

async function verifySignature(method: string, path: string, headers: IncomingHttpHeaders, raw: string, port: number): Promise<boolean> {
  const authorization = headers.authorization ?? '';
  const signed = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const amzDate = String(headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date || signed.length === 0) return false;
  const signer = new SignatureV4({ service: 'ses', region: 'us-east-1', credentials, sha256: Sha256 });
  const request = await signer.sign(
    {
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path,
      query: {},
      headers: Object.fromEntries(signed.map((h) => [h, String(headers[h] ?? '')])),
      body: raw,
    },
    { signingDate: new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`) },
  );
  return request.headers['authorization'] === authorization;
}

beforeAll(async () => {
  // Static test credentials for the SDK's default chain (the client resolves them on its first call).
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  process.env.AWS_REGION = 'us-east-1';
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const address = server.address();
      const port = address !== null && typeof address !== 'string' ? address.port : 0;
      void verifySignature(req.method ?? '', path, req.headers, raw, port).then((signatureValid) => {
        received.push({ method: req.method ?? '', path, headers: req.headers, body: raw ? JSON.parse(raw) : undefined, signatureValid });
        if (req.method !== 'POST' || path !== '/v2/email/outbound-emails') {
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' }).end(JSON.stringify({ message: 'not found' }));
          return;
        }
        const reply = replies.shift() ?? { status: 200, body: { MessageId: `0100018c-fake-${received.length}` } };
        res
          .writeHead(reply.status, { 'content-type': 'application/json', 'x-amzn-requestid': `req-${received.length}`, ...(reply.errorType ? { 'x-amzn-errortype': reply.errorType } : {}) })
          .end(JSON.stringify(reply.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  replies.length = 0;
});

const outbox: EmailSender = { send: async () => undefined };
const ses = (extra: NodeJS.ProcessEnv = {}) =>
  emailFromConfig(loadConfig([], { EMAIL_PROVIDER: 'ses', EMAIL_FROM: 'concierge@clinic.example', AWS_ENDPOINT_URL_SESV2: endpoint, ...extra }), outbox);

const email: OutgoingEmail = {
  tenantId: 'tenant-a',
  to: ['ana@clinic.example', 'bob@clinic.example'],
  subject: 'Señora Núñez is waiting — café ☕',
  text: 'A customer asked for a person.\nOpen the inbox: https://admin.example.com/inbox/c1',
  kind: 'handoff.waiting',
  conversationId: 'c1',
};

describe('emailFromConfig', () => {
  it('keeps e-mail in the outbox when no provider is configured', () => {
    expect(emailFromConfig(loadConfig([], {}), outbox)).toBe(outbox);
    expect(emailFromConfig(loadConfig([], { EMAIL_PROVIDER: 'outbox', EMAIL_FROM: 'x@clinic.example' }), outbox)).toBe(outbox);
  });

  it('fails fast when SES is chosen without a sender, or with an invalid one', () => {
    expect(() => emailFromConfig(loadConfig([], { EMAIL_PROVIDER: 'ses' }), outbox)).toThrow('EMAIL_FROM is not set (EMAIL_PROVIDER is ses)');
    expect(() => loadConfig([], { EMAIL_PROVIDER: 'ses', EMAIL_FROM: 'not an address' })).toThrow(/EMAIL_FROM/);
  });
});

describe('SesEmailSender through the SESv2 API', () => {
  it('sends one signed SendEmail request with exactly this body (Simple content, UTF-8)', async () => {
    await ses({ SES_CONFIGURATION_SET: 'concierge-events' }).send(email);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', path: '/v2/email/outbound-emails', signatureValid: true });
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDSESTEST00000000\/\d{8}\/us-east-1\/ses\/aws4_request, /);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({
      FromEmailAddress: 'concierge@clinic.example',
      Destination: { ToAddresses: ['ana@clinic.example', 'bob@clinic.example'] },
      Content: {
        Simple: {
          Subject: { Data: 'Señora Núñez is waiting — café ☕', Charset: 'UTF-8' },
          Body: { Text: { Data: 'A customer asked for a person.\nOpen the inbox: https://admin.example.com/inbox/c1', Charset: 'UTF-8' } },
        },
      },
      EmailTags: [
        { Name: 'kind', Value: 'handoff_waiting' },
        { Name: 'tenant', Value: 'tenant-a' },
      ],
      ConfigurationSetName: 'concierge-events',
    });
  });

  it('omits the configuration set when none is configured', async () => {
    await ses().send(email);
    expect(received[0]?.body).not.toHaveProperty('ConfigurationSetName');
  });

  it('splits more than 50 recipients into messages of at most 50 (SES’s limit)', async () => {
    const to = Array.from({ length: 60 }, (_, i) => `staff${i}@clinic.example`);
    await ses().send({ ...email, to });
    const batches = received.map((r) => {
      const body = r.body;
      return typeof body === 'object' && body !== null && 'Destination' in body ? body.Destination : undefined;
    });
    expect(batches).toEqual([{ ToAddresses: to.slice(0, 50) }, { ToAddresses: to.slice(50) }]);
  });

  it('surfaces a 4xx from SES as its named error, without retrying it', async () => {
    replies.push({ status: 400, errorType: 'MessageRejected', body: { message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: concierge@clinic.example' } });
    const error = await ses().send(email).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'MessageRejected', message: expect.stringContaining('Email address is not verified'), $metadata: { httpStatusCode: 400 } });
    expect(received).toHaveLength(1);
  });
});
