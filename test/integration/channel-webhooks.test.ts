/**
 * The Twilio and Meta inbound webhooks on the local twins: the local gateway (the declared public routes, raw
 * bodies), the real handler modules run by the local Lambda runtime, Powertools idempotency records in DynamoDB
 * Local, and the real EventBridge client putting events on the local bus. Signatures are made the providers'
 * way: Twilio's with the twilio SDK's own `getExpectedTwilioSignature`, Meta's as HMAC-SHA256 of the body.
 *
 * Published events are observed where they land: the local bus's PutEvents.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import twilio from 'twilio';
import { integrationSecretsFromConfig } from '../../lambdas/adapters/integrations/index';
import { logger } from '../../lambdas/handlers/lib/powertools';
import type { PutEventsEntry } from '../../local-cloud/event-bus';
import type { LocalGateway } from '../../local-cloud/gateway';
import type { LambdaRuntime } from '../../local-cloud/lambda-runtime';
import { putTenantProfiles, startWebhookHandlers, type WebhookHandlers } from '../support/table-and-bus';
import { messengerBody, SIMULATED, twilioForm } from '../../local-cloud/channel-simulator';

const TABLE = 'channel-webhooks-test';
const BUS = 'channel-webhooks-bus';
const TENANT = 'harbour-dental';
const TWILIO_TOKEN = randomBytes(16).toString('hex');
const META_SECRET = randomBytes(16).toString('hex');
const VERIFY_TOKEN = `verify-${randomBytes(8).toString('hex')}`;
const LOCAL_SECRETS_KEY = randomBytes(32).toString('base64');

let handlers: WebhookHandlers;
let doc: DynamoDBDocumentClient;
let gateway: LocalGateway;
let runtime: LambdaRuntime;
const published: PutEventsEntry[] = [];

beforeAll(async () => {
  // Rule targets are inert: The conversation handler behind the rule is not under test here (test/integration/channel-conversation.test.ts).
  handlers = await startWebhookHandlers({
    table: TABLE,
    busName: BUS,
    functions: ['twilioWebhook', 'metaWebhook'],
    env: { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, META_APP_SECRET: META_SECRET, META_VERIFY_TOKEN: VERIFY_TOKEN, LOCAL_SECRETS_KEY },
    published,
  });
  ({ doc, gateway, runtime } = handlers);
  // The tenants these deliveries are for exist (a URL naming no tenant is refused: see "a tenant that does not exist").
  await putTenantProfiles(doc, TABLE, [TENANT, 'own-twilio-clinic', 'own-meta-clinic']);
}, 120_000);

afterAll(async () => {
  await handlers?.stop();
});

beforeEach(() => {
  published.length = 0;
});

/** The inbound messages published, each detail without the correlation id every one of them carries (test/integration/webhook-correlation.test.ts). */
const inbound = (): { type: string | undefined; detail: Record<string, unknown> }[] =>
  published
    .filter((e) => e.DetailType === 'channel.message.received')
    .map((e) => {
      const { correlationId, ...detail } = JSON.parse(e.Detail ?? '{}') as Record<string, unknown>;
      expect(correlationId).toEqual(expect.any(String));
      return { type: e.DetailType, detail };
    });

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

async function reply(response: Response): Promise<Reply> {
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

// ---- Twilio --------------------------------------------------------------------------------------------

const twilioUrl = (tenantId = TENANT): string => `${gateway.url}/v1/webhooks/twilio/${tenantId}`;

async function postTwilio(form: Record<string, string>, signature: string | undefined, tenantId = TENANT): Promise<Reply> {
  const response = await fetch(twilioUrl(tenantId), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'X-Twilio-Signature': signature }) },
    body: new URLSearchParams(form).toString(),
  });
  return reply(response);
}

const signTwilio = (form: Record<string, string>, token = TWILIO_TOKEN, url = twilioUrl()): string => twilio.getExpectedTwilioSignature(token, url, form);

describe('Twilio webhook (SMS and WhatsApp)', () => {
  it('turns a signed SMS into one channel.message.received event and answers with empty TwiML', async () => {
    const form = twilioForm('sms', '+34600111222', 'Do you have parking?');
    const out = await postTwilio(form, signTwilio(form));
    expect(out).toEqual({ status: 200, type: 'text/xml; charset=utf-8', text: '<?xml version="1.0" encoding="UTF-8"?><Response/>' });
    expect(inbound()).toEqual([
      {
        type: 'channel.message.received',
        detail: { tenantId: TENANT, channel: 'sms', from: '+34600111222', text: 'Do you have parking?', media: [], providerMessageId: form['MessageSid'] },
      },
    ]);
  });

  it('reads a WhatsApp sender (whatsapp:+…) and its media', async () => {
    const form: Record<string, string> = {
      ...twilioForm('whatsapp', '+447700900123', 'Here is a photo'),
      NumMedia: '1',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1',
      MediaContentType0: 'image/jpeg',
    };
    expect((await postTwilio(form, signTwilio(form))).status).toBe(200);
    expect(inbound().map((e) => e.detail)).toEqual([
      {
        tenantId: TENANT,
        channel: 'whatsapp',
        from: '+447700900123',
        text: 'Here is a photo',
        media: [{ url: form['MediaUrl0'], contentType: 'image/jpeg' }],
        providerMessageId: form['MessageSid'],
      },
    ]);
  });

  it('keeps the message when one of its media items is malformed: that item is left out (Twilio does not retry a 400)', async () => {
    const form: Record<string, string> = {
      ...twilioForm('whatsapp', '+447700900124', 'A photo and a voice note'),
      NumMedia: '3',
      MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME1',
      MediaContentType0: 'image/jpeg',
      // A voice note's media type with its parameters: kept as audio/ogg.
      MediaUrl1: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME2',
      MediaContentType1: 'audio/ogg; codecs=opus',
      // MediaUrl2 missing: NumMedia promised three.
    };
    const warnings: unknown[][] = [];
    const spy = jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
    let out: Reply;
    try {
      out = await postTwilio(form, signTwilio(form));
    } finally {
      spy.mockRestore();
    }
    expect(out.status).toBe(200);
    expect(inbound().map((e) => [e.detail['text'], e.detail['media']])).toEqual([
      [
        'A photo and a voice note',
        [
          { url: form['MediaUrl0'], contentType: 'image/jpeg' },
          { url: form['MediaUrl1'], contentType: 'audio/ogg' },
        ],
      ],
    ]);
    expect(warnings.filter(([m]) => m === 'skipped a malformed media item of a Twilio message').map(([, extra]) => (extra as { path: string }).path)).toEqual(['MediaUrl2.url']);
  });

  it('refuses a missing, forged or tampered signature with 403 before reading the form, and publishes nothing', async () => {
    const form = twilioForm('sms', '+34600111222', 'hello');
    const missing = await postTwilio(form, undefined);
    const forged = await postTwilio(form, signTwilio(form, randomBytes(16).toString('hex')));
    const tampered = await postTwilio({ ...form, Body: 'hello, changed' }, signTwilio(form));
    const otherTenant = await postTwilio(form, signTwilio(form), 'other-clinic');
    for (const out of [missing, forged, tampered, otherTenant]) {
      expect(out.status).toBe(403);
      expect(JSON.parse(out.text)).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(JSON.parse(missing.text).error.message).toMatch(/missing X-Twilio-Signature/);
    expect(JSON.parse(forged.text).error.message).toMatch(/invalid X-Twilio-Signature/);
    // Nothing of the customer's text or number is echoed back.
    expect([missing, forged, tampered].some((o) => o.text.includes('+34600111222'))).toBe(false);
    expect(inbound()).toEqual([]);
  });

  it('publishes a replayed delivery (Twilio retrying) once', async () => {
    const form = twilioForm('whatsapp', '+34600333444', 'What are your opening hours?');
    const signature = signTwilio(form);
    const first = await postTwilio(form, signature);
    const again = await postTwilio(form, signature);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.text).toContain('<Response/>');
    expect(inbound()).toHaveLength(1);
  });

  it('answers a signed but malformed form with 400 naming the field, and publishes nothing', async () => {
    const badFrom = { ...twilioForm('sms', '+34600111222', 'hi'), From: 'not-a-number' };
    const noSid = Object.fromEntries(Object.entries(twilioForm('sms', '+34600111222', 'hi')).filter(([k]) => k !== 'MessageSid'));
    const a = await postTwilio(badFrom, signTwilio(badFrom));
    const b = await postTwilio(noSid, signTwilio(noSid));
    expect(a.status).toBe(400);
    expect(JSON.parse(a.text)).toMatchObject({ error: { code: 'bad_request', field: 'From' } });
    expect(a.text).not.toContain('not-a-number');
    expect(b.status).toBe(400);
    expect(JSON.parse(b.text)).toMatchObject({ error: { code: 'bad_request', field: 'MessageSid' } });
    expect(inbound()).toEqual([]);
  });

  it('verifies against the public URL API Gateway was called at (scheme, host, stage, query)', async () => {
    const form = twilioForm('sms', '+34600555666', 'Is there parking?');
    const publicUrl = `https://abc123.execute-api.eu-west-1.amazonaws.com/live/v1/webhooks/twilio/${TENANT}?source=sms`;
    const event = (signature: string) => ({
      resource: '/v1/webhooks/twilio/{tenantId}',
      path: `/v1/webhooks/twilio/${TENANT}`,
      httpMethod: 'POST',
      headers: {
        Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Port': '443',
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Twilio-Signature': signature,
      },
      multiValueHeaders: {},
      queryStringParameters: { source: 'sms' },
      multiValueQueryStringParameters: { source: ['sms'] },
      pathParameters: { tenantId: TENANT },
      stageVariables: null,
      requestContext: { stage: 'live', path: `/live/v1/webhooks/twilio/${TENANT}`, domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', requestId: 'r1' },
      // API Gateway base64-encodes bodies of binary media types; the handler reads both.
      body: Buffer.from(new URLSearchParams(form).toString()).toString('base64'),
      isBase64Encoded: true,
    });
    const ok = (await runtime.invoke('twilioWebhook', event(twilio.getExpectedTwilioSignature(TWILIO_TOKEN, publicUrl, form)))) as { statusCode: number };
    expect(ok.statusCode).toBe(200);
    const withoutStage = publicUrl.replace('/live', '');
    const refused = (await runtime.invoke('twilioWebhook', event(twilio.getExpectedTwilioSignature(TWILIO_TOKEN, withoutStage, form)))) as { statusCode: number };
    expect(refused.statusCode).toBe(403);
    expect(inbound()).toHaveLength(1);
  });

  it("uses the tenant's own auth token when it has Twilio credentials, not the environment's", async () => {
    const tenantId = 'own-twilio-clinic';
    const own = randomBytes(16).toString('hex');
    const secrets = integrationSecretsFromConfig({ TABLE_NAME: TABLE, LOCAL_SECRETS_KEY }, { doc, clock: { now: () => new Date() } });
    await secrets.put(tenantId, 'twilio', { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: own }, 'admin-sub');
    const form = twilioForm('sms', '+34600777888', 'hello');
    const url = twilioUrl(tenantId);
    expect((await postTwilio(form, signTwilio(form, TWILIO_TOKEN, url), tenantId)).status).toBe(403);
    expect((await postTwilio(form, signTwilio(form, own, url), tenantId)).status).toBe(200);
    expect(inbound().map((e) => e.detail['tenantId'])).toEqual([tenantId]);
  });

  it('refuses, with 404 naming the tenant, a signed message for a tenant that does not exist, and publishes nothing', async () => {
    // Signed with the environment's auth token (the tenant has no credentials of its own): verified, but nobody's message.
    const tenantId = 'nosuchtenant';
    const form = twilioForm('sms', '+34600121212', 'Is anyone there?');
    const out = await postTwilio(form, signTwilio(form, TWILIO_TOKEN, twilioUrl(tenantId)), tenantId);
    expect(out.status).toBe(404);
    expect(JSON.parse(out.text)).toEqual({ error: { code: 'not_found', message: 'no tenant nosuchtenant: this webhook URL names no tenant' } });
    expect(out.text).not.toContain('+34600121212');
    // Unsigned or forged, it is still a 403: the signature comes first.
    expect((await postTwilio(form, undefined, tenantId)).status).toBe(403);
    expect(inbound()).toEqual([]);
  });

  it('answers the same 403 for a tenant that exists and one that does not when nothing can verify the caller', async () => {
    // No Twilio token anywhere (the tenants have none of their own, and the environment's is removed for this test).
    const saved = process.env['TWILIO_AUTH_TOKEN'];
    delete process.env['TWILIO_AUTH_TOKEN'];
    try {
      const form = twilioForm('sms', '+34600131313', 'hello?');
      const real = await postTwilio(form, 'forged', TENANT);
      const unknown = await postTwilio(form, 'forged', 'nosuchtenant');
      expect([real.status, unknown.status]).toEqual([403, 403]);
      expect(JSON.parse(unknown.text)).toEqual(JSON.parse(real.text));
      expect(inbound()).toEqual([]);
    } finally {
      process.env['TWILIO_AUTH_TOKEN'] = saved;
    }
  });
});

// ---- Meta (Messenger) ------------------------------------------------------------------------------------

const metaUrl = (tenantId = TENANT): string => `${gateway.url}/v1/webhooks/meta/${tenantId}`;
const signMeta = (body: string, secret = META_SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function postMeta(body: string, signature: string | undefined, tenantId = TENANT): Promise<Reply> {
  const response = await fetch(metaUrl(tenantId), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'X-Hub-Signature-256': signature }) },
    body,
  });
  return reply(response);
}

describe('Meta webhook (Messenger)', () => {
  it('answers the subscription check with the challenge only for the right verify token', async () => {
    const check = (query: Record<string, string>) => fetch(`${metaUrl()}?${new URLSearchParams(query).toString()}`).then(reply);
    const ok = await check({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
    expect(ok).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: '1158201444' });
    const wrong = await check({ 'hub.mode': 'subscribe', 'hub.verify_token': `${VERIFY_TOKEN}x`, 'hub.challenge': '1158201444' });
    const noMode = await check({ 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
    const scripted = await check({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '<script>alert(1)</script>' });
    for (const out of [wrong, noMode, scripted]) {
      expect(out.status).toBe(403);
      expect(out.text).not.toContain('1158201444');
      expect(out.text).not.toContain('<script>');
    }
  });

  it('turns each customer message of a signed delivery into one event (echoes and read receipts ignored)', async () => {
    const body = JSON.parse(messengerBody('2000000000000001', 'Do you open on Saturdays?', new Date())) as {
      entry: { messaging: Record<string, unknown>[] }[];
    };
    const first = body.entry[0];
    if (!first) throw new Error('no entry');
    first.messaging.push(
      { sender: { id: '100000000000001' }, recipient: { id: '2000000000000001' }, timestamp: 1, message: { mid: 'm_echo', text: 'our own reply', is_echo: true } },
      { sender: { id: '2000000000000001' }, recipient: { id: '100000000000001' }, timestamp: 2, read: { watermark: 1 } },
      { sender: { id: '2000000000000001' }, recipient: { id: '100000000000001' }, timestamp: 3, message: { mid: 'm_photo', attachments: [{ type: 'image', payload: { url: 'https://scontent.example/photo.jpg' } }] } },
    );
    const raw = JSON.stringify(body);
    const out = await postMeta(raw, signMeta(raw));
    expect(out).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'EVENT_RECEIVED' });
    expect(inbound().map((e) => e.detail)).toEqual([
      { tenantId: TENANT, channel: 'messenger', from: '2000000000000001', text: 'Do you open on Saturdays?', media: [], providerMessageId: expect.stringMatching(/^m_/) },
      { tenantId: TENANT, channel: 'messenger', from: '2000000000000001', text: '', media: [{ url: 'https://scontent.example/photo.jpg', contentType: 'image/*' }], providerMessageId: 'm_photo' },
    ]);
  });

  it('refuses a missing, forged, truncated or re-serialised signature with 403 and publishes nothing', async () => {
    const raw = messengerBody('2000000000000002', 'hello', new Date());
    const outs = [
      await postMeta(raw, undefined),
      await postMeta(raw, signMeta(raw, randomBytes(16).toString('hex'))),
      await postMeta(raw, signMeta(raw).slice(0, 20)),
      await postMeta(raw, 'sha1=abc'),
      // The signature covers the exact bytes: the same JSON pretty-printed is another body.
      await postMeta(JSON.stringify(JSON.parse(raw), null, 2), signMeta(raw)),
    ];
    for (const out of outs) {
      expect(out.status).toBe(403);
      expect(JSON.parse(out.text)).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(inbound()).toEqual([]);
  });

  it("drops the entries of another Page: a body signed with the tenant's secret for someone else's Page is no message to it", async () => {
    const tenantId = 'own-meta-clinic';
    const own = randomBytes(16).toString('hex');
    const secrets = integrationSecretsFromConfig({ TABLE_NAME: TABLE, LOCAL_SECRETS_KEY }, { doc, clock: { now: () => new Date() } });
    await secrets.put(tenantId, 'meta', { pageId: '300000000000003', pageAccessToken: 'EAAB-local-token', appSecret: own, verifyToken: `verify-${randomBytes(8).toString('hex')}` }, 'admin-sub');
    const post = async (raw: string) =>
      reply(await fetch(metaUrl(tenantId), { method: 'POST', headers: { 'content-type': 'application/json', 'X-Hub-Signature-256': signMeta(raw, own) }, body: raw }));
    // The simulator writes as another Page (the environment's).
    const otherPage = messengerBody('2000000000000009', 'cancel everything', new Date());
    expect(await post(otherPage)).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'EVENT_RECEIVED' });
    expect(inbound()).toEqual([]);
    const itsPage = otherPage.replaceAll(SIMULATED.pageId, '300000000000003');
    expect((await post(itsPage)).status).toBe(200);
    expect(inbound().map((e) => [e.detail['tenantId'], e.detail['text']])).toEqual([[tenantId, 'cancel everything']]);
  });

  it('publishes a replayed delivery once', async () => {
    const raw = messengerBody('2000000000000003', 'Can I book a cleaning?', new Date());
    expect((await postMeta(raw, signMeta(raw))).status).toBe(200);
    expect((await postMeta(raw, signMeta(raw))).status).toBe(200);
    expect(inbound()).toHaveLength(1);
  });

  it('answers a signed body that is not a Messenger delivery with 400 and the reason', async () => {
    const notJson = '{"object": "page", ';
    const instagram = JSON.stringify({ object: 'instagram', entry: [] });
    const noEntries = JSON.stringify({ object: 'page', entry: { id: '1' } });
    const notAnObject = JSON.stringify(['page']);
    const a = await postMeta(notJson, signMeta(notJson));
    const b = await postMeta(instagram, signMeta(instagram));
    const c = await postMeta(noEntries, signMeta(noEntries));
    const d = await postMeta(notAnObject, signMeta(notAnObject));
    expect(a.status).toBe(400);
    expect(JSON.parse(a.text).error.message).toMatch(/not valid JSON/);
    expect(b.status).toBe(400);
    expect(JSON.parse(b.text)).toMatchObject({ error: { code: 'bad_request', field: 'object' } });
    expect(c.status).toBe(400);
    expect(JSON.parse(c.text)).toMatchObject({ error: { code: 'bad_request', field: 'entry' } });
    expect(d.status).toBe(400);
    expect(JSON.parse(d.text)).toMatchObject({ error: { code: 'bad_request' } });
    expect(inbound()).toEqual([]);
  });

  it('publishes the good messages of a delivery that also carries malformed items, and acknowledges it (a 400 would lose them: Meta retries the same batch)', async () => {
    const page = SIMULATED.pageId;
    const good = (mid: string, text: string) => ({ sender: { id: '2000000000000021' }, recipient: { id: page }, timestamp: 1, message: { mid, text } });
    const body = {
      object: 'page',
      entry: [
        {
          id: page,
          time: 1,
          messaging: [
            good('m_partial_good1', 'Do you take walk-ins?'),
            { sender: { id: 'bad' }, recipient: { id: page }, timestamp: 2, message: { mid: 'm_partial_bad_sender', text: 'secret words' } },
            { sender: { id: '2000000000000021' }, recipient: { id: page }, timestamp: 3, message: { text: 'no mid' } },
            'not an item',
          ],
        },
        // A malformed entry: skipped whole, the next one still read.
        { id: 42, messaging: [good('m_partial_in_bad_entry', 'lost?')] },
        { id: page, messaging: [good('m_partial_good2', 'And on Sundays?')] },
      ],
    };
    const raw = JSON.stringify(body);
    // The handler's own logger (the local runtime runs the handlers in this process), whatever the log level.
    const warnings: unknown[][] = [];
    const spy = jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
    let out: Reply;
    try {
      out = await postMeta(raw, signMeta(raw));
    } finally {
      spy.mockRestore();
    }
    expect(out).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'EVENT_RECEIVED' });
    // Each skipped part is a warning naming where and why, never the customer's words.
    expect(warnings.filter(([m]) => m === 'skipped a malformed item of a Meta delivery').map(([, extra]) => (extra as { path: string }).path)).toEqual([
      'entry.0.messaging.1.sender.id',
      'entry.0.messaging.2.message.mid',
      'entry.0.messaging.3',
      'entry.1.id',
    ]);
    expect(JSON.stringify(warnings)).not.toMatch(/secret words|no mid|lost\?/);
    expect(inbound().map((e) => [e.detail['providerMessageId'], e.detail['text']])).toEqual([
      ['m_partial_good1', 'Do you take walk-ins?'],
      ['m_partial_good2', 'And on Sundays?'],
    ]);
    // Meta's retry of the same batch: acknowledged again, nothing published twice.
    expect((await postMeta(raw, signMeta(raw))).status).toBe(200);
    expect(inbound()).toHaveLength(2);
    // A delivery whose only item is malformed is acknowledged too, with nothing published.
    const onlyBad = JSON.stringify({ object: 'page', entry: [{ id: page, messaging: [{ sender: { id: 'x<y' }, recipient: { id: page }, message: { mid: 'm1', text: 'hi' } }] }] });
    expect(await postMeta(onlyBad, signMeta(onlyBad))).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'EVENT_RECEIVED' });
    expect(inbound()).toHaveLength(2);
  });

  it('keeps a message whose attachment has a malformed URL, without that attachment', async () => {
    const page = SIMULATED.pageId;
    const message = { mid: 'm_bad_attachment_url', text: 'Here is my x-ray', attachments: [{ type: 'image', payload: { url: 'not a url' } }, { type: 'file', payload: { url: 'https://cdn.example.com/xray.pdf' } }] };
    const raw = JSON.stringify({ object: 'page', entry: [{ id: page, time: 1, messaging: [{ sender: { id: '2000000000000022' }, recipient: { id: page }, timestamp: 1, message }] }] });
    expect((await postMeta(raw, signMeta(raw))).status).toBe(200);
    expect(inbound().map((e) => [e.detail['providerMessageId'], e.detail['text'], e.detail['media']])).toEqual([
      ['m_bad_attachment_url', 'Here is my x-ray', [{ url: 'https://cdn.example.com/xray.pdf', contentType: 'application/octet-stream' }]],
    ]);
  });

  it('refuses, with 404, a signed delivery or a subscription check for a tenant that does not exist, and publishes nothing', async () => {
    const raw = messengerBody('2000000000000031', 'Hello?', new Date());
    const out = await postMeta(raw, signMeta(raw), 'nosuchtenant');
    expect(out.status).toBe(404);
    expect(JSON.parse(out.text)).toEqual({ error: { code: 'not_found', message: 'no tenant nosuchtenant: this webhook URL names no tenant' } });
    // Still 403 without a valid signature: the signature comes first.
    expect((await postMeta(raw, signMeta(raw, randomBytes(16).toString('hex')), 'nosuchtenant')).status).toBe(403);
    const check = await fetch(`${metaUrl('nosuchtenant')}?${new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' }).toString()}`).then(reply);
    expect(check.status).toBe(404);
    expect(check.text).not.toContain('1158201444');
    expect(inbound()).toEqual([]);
  });
});
