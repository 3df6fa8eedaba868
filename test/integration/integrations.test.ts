/**
 * Tenants' integration credentials end to end on the local cloud: the admin routes through the local gateway,
 * the real staff authorizer (local Cognito tokens) and the real handler; the store on DynamoDB Local with the
 * local cipher; the Stripe webhook verifying with the tenant's own signing secret; and deposits and calendar
 * events going out under the tenant's own credentials (fake Stripe and Google APIs on 127.0.0.1).
 *
 * Secrets are write-only: every response body of this file is kept and scanned for every submitted secret.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { z } from 'zod';
import { documentClient } from '../../lambdas/adapters/aws/clients';
import { calendarFromConfig } from '../../lambdas/adapters/calendar';
import { integrationSecrets } from '../../lambdas/adapters/container';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { DynamoIntegrationSecrets, LocalSecretCipher, SecretDecryptionError } from '../../lambdas/adapters/integrations';
import { paymentsFromConfig } from '../../lambdas/adapters/payments';
import { logger } from '../../lambdas/handlers/lib/powertools';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { bodyFrom, prefillFrom, providerSpecs } from '../../frontend/src/pages/integrations/providers';
import { api, signIn, type ApiResult } from '../support/staff';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../support/fake-calendars';
import { checkoutCompletedEvent } from '../support/stripe-events';

let cloud: LocalCloud;
let admin = '';
let agent = '';
let adminSub = '';
const TENANT = 'demo';

/** Every secret this file submits, and every body the API answered with. */
const submitted = new Set<string>();
const answers: string[] = [];

const hex = (n: number): string => randomBytes(n).toString('hex');
const stripeCreds = () => {
  const c = { secretKey: `sk_test_51${hex(12)}1234`, webhookSecret: `whsec_${hex(16)}` };
  Object.values(c).forEach((v) => submitted.add(v));
  return c;
};

async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<ApiResult> {
  const res = await api(cloud, method, path, token, body);
  answers.push(res.text);
  return res;
}

const summarySchema = z.strictObject({ provider: z.string(), updatedAt: z.string(), updatedBy: z.string(), hints: z.record(z.string(), z.string()) });
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  agent = await signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
  const claims = z.object({ sub: z.string() }).parse(JSON.parse(Buffer.from(admin.split('.')[1] ?? '', 'base64url').toString('utf8')));
  adminSub = claims.sub;
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('the admin routes', () => {
  it('stores Stripe keys encrypted and answers with a summary only', async () => {
    const creds = stripeCreds();
    const put = await call('PUT', '/v1/admin/integrations/stripe', admin, creds);
    expect(put.status).toBe(200);
    const { integration } = z.object({ integration: summarySchema }).parse(put.body);
    expect(integration).toEqual({ provider: 'stripe', updatedAt: expect.any(String), updatedBy: adminSub, hints: { mode: 'test', keyType: 'secret', keyLast4: '1234' } });

    const list = await call('GET', '/v1/admin/integrations', admin);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [integration], providers: ['stripe', 'twilio', 'meta', 'google', 'microsoft', 'calendly', 'hubspot'] });

    // At rest: only the envelope, bound to the tenant and provider.
    const doc = documentClient(cloud.urls.dynamodb);
    const item = await doc.send(new GetCommand({ TableName: cloud.tableName, Key: keys.integration(TENANT, 'stripe') }));
    const stored = JSON.stringify(item.Item);
    for (const secret of Object.values(creds)) expect(stored).not.toContain(secret);
    expect(JSON.parse(z.string().parse(item.Item?.['ciphertext']))).toMatchObject({ v: 1, kind: 'local' });
    // …and decrypted for the adapters.
    await expect(integrationSecrets().get(TENANT, 'stripe')).resolves.toEqual(creds);
  });

  it('refuses invalid credentials naming the field, without echoing what was sent', async () => {
    const misplaced = `whsec_${hex(16)}`;
    submitted.add(misplaced);
    const wrong = await call('PUT', '/v1/admin/integrations/stripe', admin, { secretKey: misplaced, webhookSecret: misplaced });
    expect(wrong.status).toBe(400);
    expect(errorSchema.parse(wrong.body).error).toMatchObject({ code: 'bad_request', field: 'secretKey', message: expect.stringContaining('Stripe secret or restricted key') });

    const extra = await call('PUT', '/v1/admin/integrations/twilio', admin, { accountSid: `AC${hex(16)}`, authToken: hex(16), password: 'x' });
    expect(extra.status).toBe(400);
    expect(errorSchema.parse(extra.body).error).toMatchObject({ field: 'password', message: expect.stringMatching(/^password: is not a field of the credentials/) });

    const missing = await call('PUT', '/v1/admin/integrations/meta', admin, { pageId: '12345' });
    expect(errorSchema.parse(missing.body).error).toMatchObject({ field: 'pageAccessToken' });

    // A token goes out as a header value: control characters, bidi marks or emoji could only fail at the provider.
    for (const token of ['a\u0000b', 'tok\u202Een', 'token😀', 'two words']) {
      const garbled = await call('PUT', '/v1/admin/integrations/calendly', admin, { token, eventTypeUri: 'https://api.calendly.com/event_types/ABC' });
      expect(garbled.status).toBe(400);
      expect(errorSchema.parse(garbled.body).error).toMatchObject({ code: 'bad_request', field: 'token', message: expect.stringContaining('printable ASCII') });
    }
    expect(await integrationSecrets().get(TENANT, 'calendly')).toBeUndefined();

    const unknown = await call('PUT', '/v1/admin/integrations/paypal', admin, { token: 'x' });
    expect(unknown.status).toBe(400);
    expect(errorSchema.parse(unknown.body).error).toMatchObject({ field: 'provider', message: expect.stringContaining('stripe, twilio, meta') });

    const notObject = await call('PUT', '/v1/admin/integrations/google', admin, [misplaced]);
    expect(notObject.status).toBe(400);
  });

  it("replaces Twilio's auth token from the admin UI's form without dropping the sender numbers or the template SIDs", async () => {
    const templates = { reminder: `HX${hex(16)}`, bookingUpdate: `HX${hex(16)}` };
    const first = { accountSid: `AC${hex(16)}`, authToken: hex(16), smsFrom: '+353861234567', whatsappFrom: '+353861234568', templates };
    submitted.add(first.authToken);
    const put = await call('PUT', '/v1/admin/integrations/twilio', admin, first);
    expect(put.status).toBe(200);
    const { integration } = z.object({ integration: summarySchema }).parse(put.body);
    expect(integration.hints).toEqual({
      accountSid: first.accountSid,
      smsFrom: first.smsFrom,
      whatsappFrom: first.whatsappFrom,
      templates: 'reminder, bookingUpdate',
      'templates.reminder': templates.reminder,
      'templates.bookingUpdate': templates.bookingUpdate,
    });

    // What the page does: the form starts from the saved non-secret fields, the admin types the new token, saves.
    const spec = providerSpecs.find((p) => p.provider === 'twilio');
    if (!spec) throw new Error('no twilio form');
    const rotated = hex(16);
    submitted.add(rotated);
    const form = { ...prefillFrom(spec, { ...integration, provider: 'twilio' }), authToken: rotated };
    expect((await call('PUT', '/v1/admin/integrations/twilio', admin, bodyFrom(spec, form))).status).toBe(200);
    expect(await integrationSecrets().get(TENANT, 'twilio')).toEqual({ ...first, authToken: rotated });
    expect((await call('DELETE', '/v1/admin/integrations/twilio', admin)).status).toBe(200);
  });

  it('is for admins only: agents get 403 and change nothing', async () => {
    const creds = stripeCreds();
    expect((await call('GET', '/v1/admin/integrations', agent)).status).toBe(403);
    expect((await call('PUT', '/v1/admin/integrations/stripe', agent, creds)).status).toBe(403);
    expect((await call('DELETE', '/v1/admin/integrations/stripe', agent)).status).toBe(403);
    expect((await call('GET', '/v1/admin/integrations', undefined)).status).toBe(401);
    expect((await integrationSecrets().get(TENANT, 'stripe'))?.secretKey).not.toBe(creds.secretKey);
  });

  it('logs each write as {tenantId, provider, by} and nothing secret', async () => {
    // The handler's own logger (the local cloud runs the handlers in this process); whatever the log level.
    const calls: unknown[][] = [];
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        calls.push(args);
      }),
    );
    try {
      const twilio = { accountSid: `AC${hex(16)}`, authToken: hex(16), smsFrom: '+353861234567' };
      submitted.add(twilio.authToken);
      expect((await call('PUT', '/v1/admin/integrations/twilio', admin, twilio)).status).toBe(200);
      expect((await call('DELETE', '/v1/admin/integrations/twilio', admin)).status).toBe(200);
    } finally {
      spies.forEach((s) => s.mockRestore());
    }
    const writes = calls.filter(([message]) => typeof message === 'string' && message.startsWith('integration credentials'));
    expect(writes).toEqual([
      ['integration credentials stored', { tenantId: TENANT, provider: 'twilio', by: adminSub }],
      ['integration credentials removed', { tenantId: TENANT, provider: 'twilio', by: adminSub }],
    ]);
    const logged = JSON.stringify(calls);
    for (const secret of submitted) expect(logged).not.toContain(secret);
  });

  it('removes credentials (a second removal is a 404) and lists the rest', async () => {
    const google = { calendarId: 'owner@harbour.example', accessToken: `ya29.${hex(20)}` };
    submitted.add(google.accessToken);
    expect((await call('PUT', '/v1/admin/integrations/google', admin, google)).status).toBe(200);
    expect((await call('DELETE', '/v1/admin/integrations/google', admin)).status).toBe(200);
    const again = await call('DELETE', '/v1/admin/integrations/google', admin);
    expect(again.status).toBe(404);
    const list = z.object({ items: z.array(summarySchema) }).parse((await call('GET', '/v1/admin/integrations', admin)).body);
    expect(list.items.map((i) => i.provider)).toEqual(['stripe']);
    await expect(integrationSecrets().get(TENANT, 'google')).resolves.toBeUndefined();
  });
});

// ---- the Stripe webhook with the tenant's own signing secret ----------------------------------------------

async function deliver(tenantId: string, secret: string): Promise<{ status: number; body: unknown }> {
  const payload = checkoutCompletedEvent({ tenantId });
  const res = await fetch(`${cloud.urls.rest}/v1/webhooks/stripe/${tenantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
    body: payload,
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, body: JSON.parse(text) as unknown };
}

describe('POST /v1/webhooks/stripe/{tenantId} with per-tenant secrets', () => {
  it("verifies a tenant's deliveries with its own webhook secret, others with the environment's", async () => {
    const creds = stripeCreds();
    expect((await call('PUT', '/v1/admin/integrations/stripe', admin, creds)).status).toBe(200);
    const envSecret = cloud.env['STRIPE_WEBHOOK_SECRET'] ?? '';

    await expect(deliver(TENANT, creds.webhookSecret)).resolves.toEqual({ status: 200, body: { received: true, event: 'payment.succeeded' } });
    const refused = await deliver(TENANT, envSecret);
    expect(refused.status).toBe(400);
    // A tenant without its own Stripe account still uses the environment's secret.
    await expect(deliver('other-clinic', envSecret)).resolves.toMatchObject({ status: 200 });
    expect((await deliver('other-clinic', creds.webhookSecret)).status).toBe(400);

    // Removed: the environment's secret applies again at once in this container.
    expect((await call('DELETE', '/v1/admin/integrations/stripe', admin)).status).toBe(200);
    await expect(deliver(TENANT, envSecret)).resolves.toMatchObject({ status: 200 });
    expect((await deliver(TENANT, creds.webhookSecret)).status).toBe(400);
    await cloud.settle();
  });
});

// ---- the store: cache, invalidation, tenancy ----------------------------------------------------------------

describe('DynamoIntegrationSecrets', () => {
  let now = Date.parse('2026-03-02T09:00:00.000Z');
  const clock = { now: () => new Date(now) };
  const key = randomBytes(32);
  const make = (max = 500) => new DynamoIntegrationSecrets(documentClient(cloud.urls.dynamodb), cloud.tableName, new LocalSecretCipher(key), clock, { cacheMaxEntries: max });

  it('caches decrypted values for 60 s per container, and put/remove invalidate them in the same one', async () => {
    const writer = make();
    const reader = make();
    const first = { calendarId: 'primary', accessToken: `ya29.${hex(10)}` };
    await writer.put('cache-tenant', 'google', first, 'sub-1');
    await expect(reader.get('cache-tenant', 'google')).resolves.toEqual(first);

    const second = { calendarId: 'primary', accessToken: `ya29.${hex(10)}` };
    await writer.put('cache-tenant', 'google', second, 'sub-1');
    await expect(writer.get('cache-tenant', 'google')).resolves.toEqual(second); // invalidated by its own put
    await expect(reader.get('cache-tenant', 'google')).resolves.toEqual(first); // another container: cached
    now += 60_001;
    await expect(reader.get('cache-tenant', 'google')).resolves.toEqual(second);

    await writer.remove('cache-tenant', 'google');
    await expect(writer.get('cache-tenant', 'google')).resolves.toBeUndefined();
  });

  it('keeps at most the configured number of entries (the oldest goes first)', async () => {
    const small = make(2);
    const doc = documentClient(cloud.urls.dynamodb);
    const sent = jest.spyOn(doc, 'send');
    try {
      await small.get('lru-a', 'meta');
      await small.get('lru-b', 'meta');
      await small.get('lru-c', 'meta');
      const before = sent.mock.calls.length;
      await small.get('lru-c', 'meta'); // cached
      expect(sent.mock.calls.length).toBe(before);
      await small.get('lru-a', 'meta'); // evicted: read again
      expect(sent.mock.calls.length).toBe(before + 1);
    } finally {
      sent.mockRestore();
    }
  });

  it("cannot open a ciphertext copied into another tenant's item", async () => {
    const store = make();
    await store.put('tenant-one', 'calendly', { token: `cal_${hex(8)}`, eventTypeUri: 'https://api.calendly.com/event_types/abc' }, 'sub-1');
    const doc = documentClient(cloud.urls.dynamodb);
    const one = await doc.send(new QueryCommand({ TableName: cloud.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.integrationPartition('tenant-one') } }));
    const item = one.Items?.[0];
    expect(item?.['sk']).toBe('PROVIDER#calendly');
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await doc.send(new PutCommand({ TableName: cloud.tableName, Item: { ...item, ...keys.integration('tenant-two', 'calendly') } }));
    await expect(make().get('tenant-two', 'calendly')).rejects.toBeInstanceOf(SecretDecryptionError);
    await expect(make().list('tenant-two')).resolves.toEqual([expect.objectContaining({ provider: 'calendly' })]);
  });

  it('still reads a token saved before tokens had to be header-safe (refused only when saved again)', async () => {
    const store = make();
    const eventTypeUri = 'https://api.calendly.com/event_types/abc';
    await store.put('legacy-tenant', 'calendly', { token: `cal_${hex(8)}`, eventTypeUri }, 'sub-1');
    const doc = documentClient(cloud.urls.dynamodb);
    const { GetCommand, PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const stored = (await doc.send(new GetCommand({ TableName: cloud.tableName, Key: keys.integration('legacy-tenant', 'calendly') }))).Item;
    const legacy = { token: 'cal_legacy\u200Btoken', eventTypeUri };
    const ciphertext = await new LocalSecretCipher(key).encrypt(JSON.stringify(legacy), { tenantId: 'legacy-tenant', provider: 'calendly' });
    await doc.send(new PutCommand({ TableName: cloud.tableName, Item: { ...stored, ciphertext } }));
    await expect(make().get('legacy-tenant', 'calendly')).resolves.toEqual(legacy);
    await expect(make().put('legacy-tenant', 'calendly', legacy, 'sub-1')).rejects.toThrow(/token/);
  });
});

// ---- deposits and calendar events under the tenant's own credentials -------------------------------------

describe("the adapters use the tenant's credentials, else the environment's", () => {
  let stripeServer: Server;
  let stripeBase = '';
  const stripeRequests: { path: string; headers: IncomingHttpHeaders }[] = [];
  let google: FakeGoogleCalendar;

  beforeAll(async () => {
    stripeServer = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        stripeRequests.push({ path: req.url ?? '', headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'cs_test_tenant1', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_tenant1' }));
      });
    });
    await new Promise<void>((r) => stripeServer.listen(0, '127.0.0.1', () => r()));
    stripeBase = `http://127.0.0.1:${(stripeServer.address() as AddressInfo).port}`;
    google = await startFakeGoogleCalendar('ya29.tenant-token');
  });
  afterAll(async () => {
    stripeServer.closeAllConnections();
    await new Promise<void>((r) => stripeServer.close(() => r()));
    await google.close();
  });

  const checkout = (tenantId: string) => ({
    tenantId,
    bookingId: `bk_${hex(4)}`,
    amountCents: 2500,
    currency: 'EUR',
    description: 'Deposit',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    lang: 'en',
  });

  it('takes a deposit through Stripe under the tenant key, and through the local page for everyone else', async () => {
    const creds = stripeCreds();
    await integrationSecrets().put(TENANT, 'stripe', creds, adminSub);
    const payments = paymentsFromConfig(
      { STRIPE_API_BASE: stripeBase, CHECKOUT_RETURN_URL: 'https://harbour.example/booked', LOCAL_CHECKOUT_URL: `${cloud.urls.rest}/checkout`, TABLE_NAME: cloud.tableName, AWS_ENDPOINT_URL_DYNAMODB: cloud.urls.dynamodb },
      { secrets: integrationSecrets() },
    );
    await expect(payments.createCheckout(checkout(TENANT))).resolves.toEqual({ checkoutId: 'cs_test_tenant1', url: 'https://checkout.stripe.com/c/pay/cs_test_tenant1' });
    expect(payments.provider).toBe('stripe');
    expect(stripeRequests.map((r) => [r.path, r.headers['authorization']])).toEqual([['/v1/checkout/sessions', `Bearer ${creds.secretKey}`]]);

    const local = await payments.createCheckout(checkout('other-clinic'));
    expect(local.url).toContain(`${cloud.urls.rest}/checkout`);
    expect(payments.provider).toBe('local');
    expect(stripeRequests).toHaveLength(1);
    await integrationSecrets().remove(TENANT, 'stripe');
  });

  it("writes a tenant's bookings to its own Google calendar, others to the environment's calendar", async () => {
    const creds = { calendarId: 'owner@harbour.example', accessToken: 'ya29.tenant-token' };
    await integrationSecrets().put(TENANT, 'google', creds, adminSub);
    const calendar = calendarFromConfig({ GOOGLE_CALENDAR_API_BASE: google.baseUrl }, { secrets: integrationSecrets() });
    const event = (tenantId: string) => ({
      tenantId,
      bookingId: `bk${hex(4)}`,
      staffId: 'dr-byrne',
      title: 'Cleaning',
      description: 'Booked by the concierge',
      start: '2026-03-05T10:00:00.000Z',
      end: '2026-03-05T10:30:00.000Z',
      timezone: 'Europe/Dublin',
    });
    const { eventId } = await calendar.upsertEvent(event(TENANT));
    expect(calendar.provider).toBe('google');
    expect(google.events.get(eventId)?.calendarId).toBe('owner@harbour.example');
    expect(google.requests[0]?.authorization).toBe('Bearer ya29.tenant-token');

    const before = google.requests.length;
    await calendar.upsertEvent(event('other-clinic'));
    expect(calendar.provider).toBe('builtin');
    expect(google.requests).toHaveLength(before);
    await integrationSecrets().remove(TENANT, 'google');
  });
});

describe('responses', () => {
  it('never contained a submitted secret', () => {
    expect(answers.length).toBeGreaterThan(15);
    expect(submitted.size).toBeGreaterThan(5);
    for (const body of answers) for (const secret of submitted) expect(body).not.toContain(secret);
  });
});
