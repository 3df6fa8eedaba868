/**
 * The Stripe webhook end to end on the local twins: the local gateway (the declared public route, raw body),
 * the real handler module run by the local Lambda runtime, Powertools idempotency records in DynamoDB Local,
 * and the real EventBridge client putting events on the local bus. Signatures are made by the stripe SDK's own
 * helper. The local checkout page is driven with fetch: Pay goes through the same webhook route.
 *
 * Published events are observed where they land: the local bus's PutEvents.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { LocalCheckoutStore, LocalPayments } from '../../lambdas/adapters/payments/local';
import { checkoutPage, CHECKOUT_PREFIX } from '../../local-cloud/checkout';
import type { LocalEventBus, PutEventsEntry } from '../../local-cloud/event-bus';
import type { LocalGateway } from '../../local-cloud/gateway';
import type { LambdaRuntime } from '../../local-cloud/lambda-runtime';
import { checkoutCompletedEvent } from '../support/stripe-events';
import { putTenantProfiles, startWebhookHandlers, type WebhookHandlers } from '../support/table-and-bus';

const TABLE = 'stripe-webhook-test';
const BUS = 'stripe-webhook-bus';
const SECRET = `whsec_test${randomBytes(16).toString('hex')}`;
const TENANT = 'harbour-dental';
const clock = { now: () => new Date() };

let handlers: WebhookHandlers;
let doc: DynamoDBDocumentClient;
let bus: LocalEventBus;
let gateway: LocalGateway;
let runtime: LambdaRuntime;
let payments: LocalPayments;
const published: PutEventsEntry[] = [];

beforeAll(async () => {
  // Rule targets are inert: Whatever rule matches payment events, its target is not under test here.
  // Read by the page only when a customer opens a checkout, by then made from the handlers' table.
  let checkouts!: LocalCheckoutStore;
  handlers = await startWebhookHandlers({
    table: TABLE,
    busName: BUS,
    functions: ['stripeWebhook'],
    env: { STRIPE_WEBHOOK_SECRET: SECRET },
    published,
    pages: (url) => [
      checkoutPage({ checkouts: () => checkouts, webhookUrl: (t) => `${url()}/v1/webhooks/stripe/${t}`, webhookSecret: SECRET, clock, log: () => undefined }),
    ],
  });
  ({ doc, bus, gateway, runtime } = handlers);
  await putTenantProfiles(doc, TABLE, [TENANT]);
  checkouts = new LocalCheckoutStore(doc, TABLE, clock);
  payments = new LocalPayments(checkouts, `${gateway.url}${CHECKOUT_PREFIX}`, clock);
}, 120_000);

afterAll(async () => {
  await handlers?.stop();
});

beforeEach(() => {
  published.length = 0;
});

/** The payment events published, each detail without the correlation id every one of them carries (test/integration/webhook-correlation.test.ts). */
const paymentEvents = (): { type: string | undefined; detail: unknown }[] =>
  published
    .filter((e) => e.DetailType?.startsWith('payment.'))
    .map((e) => {
      const { correlationId, ...detail } = JSON.parse(e.Detail ?? '{}') as Record<string, unknown>;
      expect(correlationId).toEqual(expect.any(String));
      return { type: e.DetailType, detail };
    });

const eventId = (): string => `evt_${randomBytes(12).toString('hex')}`;

/** The same session and payment every time (the tests tell deliveries apart by event and booking id). */
const completed = (id: string, tenantId = TENANT, bookingId = 'bk_1'): string =>
  checkoutCompletedEvent({ id, tenantId, bookingId, sessionId: 'cs_test_1', paymentIntent: 'pi_3Live' });

const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}): string =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, ...(options.timestamp ? { timestamp: options.timestamp } : {}) });

async function deliver(payload: string, signature: string | undefined, tenantId = TENANT): Promise<{ status: number; body: { error?: { code: string; field?: string; message: string }; received?: boolean; event?: string; ignored?: string } }> {
  const response = await fetch(`${gateway.url}/v1/webhooks/stripe/${tenantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === undefined ? {} : { 'Stripe-Signature': signature }) },
    body: payload,
  });
  const body = (await response.json()) as Awaited<ReturnType<typeof deliver>>['body'];
  await bus.drain();
  return { status: response.status, body };
}

describe('POST /v1/webhooks/stripe/{tenantId}', () => {
  it('turns a verified checkout.session.completed into one payment.succeeded on the bus, and keeps its event id under the tenant', async () => {
    const id = eventId();
    const payload = completed(id);
    const out = await deliver(payload, sign(payload));
    expect(out).toEqual({ status: 200, body: { received: true, event: 'payment.succeeded' } });
    expect(paymentEvents()).toEqual([{ type: 'payment.succeeded', detail: { tenantId: TENANT, bookingId: 'bk_1', paymentId: 'pi_3Live', amountCents: 2500, eventId: id } }]);
    expect(published[0]?.Source).toBe('concierge');

    const records = await doc.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `T#${TENANT}#STRIPE-EVENT` } }));
    expect(records.Items).toHaveLength(1);
    expect(records.Items?.[0]).toMatchObject({ sk: expect.stringMatching(/^stripe-event#[A-Za-z0-9+/]{22}==$/), status: 'COMPLETED', expiresAt: expect.any(Number) });
  });

  it('publishes a replayed event (same id, signed again) only once', async () => {
    const id = eventId();
    const payload = completed(id, TENANT, 'bk_replay');
    expect((await deliver(payload, sign(payload))).status).toBe(200);
    const replay = await deliver(payload, sign(payload));
    expect(replay).toEqual({ status: 200, body: { received: true, event: 'payment.succeeded' } });
    const again = await Promise.all([deliver(payload, sign(payload)), deliver(payload, sign(payload))]);
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    expect(paymentEvents().filter((e) => JSON.stringify(e.detail).includes('bk_replay'))).toHaveLength(1);
  });

  it('answers 500 when the bus refuses the event, and publishes on the redelivery Stripe then makes', async () => {
    const id = eventId();
    const payload = completed(id, TENANT, 'bk_retry');
    const putEvents = bus.putEvents;
    bus.putEvents = (entries) => ({ FailedEntryCount: entries.length, Entries: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'down' })) });
    try {
      const failed = await deliver(payload, sign(payload));
      expect(failed.status).toBe(500);
      expect(failed.body.error?.code).toBe('internal');
    } finally {
      bus.putEvents = putEvents;
    }
    expect(await deliver(payload, sign(payload))).toEqual({ status: 200, body: { received: true, event: 'payment.succeeded' } });
    expect(paymentEvents()).toEqual([{ type: 'payment.succeeded', detail: expect.objectContaining({ bookingId: 'bk_retry', eventId: id }) }]);
  });

  it.each([
    ['missing', (): string | undefined => undefined, /missing/],
    ['forged', (): string | undefined => `t=${Math.floor(Date.now() / 1000)},v1=${'ab'.repeat(32)}`, /does not match/],
    ['signed with another secret', (p: string): string | undefined => sign(p, { secret: 'whsec_someoneelse' }), /does not match/],
    ['stale (6 minutes old)', (p: string): string | undefined => sign(p, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }), /too old/],
    ['not a signature header', (): string | undefined => 'hello', /the header is malformed/],
    ['empty timestamp and signature (t=,v1=)', (): string | undefined => 't=,v1=', /the header is malformed/],
    ['signature without a value', (): string | undefined => `t=${Math.floor(Date.now() / 1000)},v1=`, /the header is malformed/],
    ['good signature plus an empty one', (p: string): string | undefined => `${sign(p)},v1=`, /the header is malformed/],
    ['non-numeric timestamp', (): string | undefined => `t=soon,v1=${'ab'.repeat(32)}`, /the header is malformed/],
    ['timestamp only', (): string | undefined => `t=${Math.floor(Date.now() / 1000)}`, /the header is malformed/],
    ['signature only', (): string | undefined => `v1=${'ab'.repeat(32)}`, /the header is malformed/],
  ])('refuses a %s signature with a 400 and publishes nothing', async (_name, signature, reason) => {
    const payload = completed(eventId());
    const out = await deliver(payload, signature(payload));
    expect(out.status).toBe(400);
    expect(out.body.error).toMatchObject({ code: 'bad_request', field: 'Stripe-Signature', message: expect.stringMatching(reason) });
    expect(paymentEvents()).toEqual([]);
  });

  it('refuses a signed body that is not JSON, or a webhook URL that names no tenant', async () => {
    const broken = '{"id": "evt_1", "type": "checkout.session.completed", ';
    const notJson = await deliver(broken, sign(broken));
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.message).toMatch(/not a JSON Stripe event/);

    const payload = completed(eventId());
    const badTenant = await deliver(payload, sign(payload), 'Not_A_Tenant');
    expect(badTenant.status).toBe(400);
    expect(paymentEvents()).toEqual([]);
  });

  it('acknowledges, without publishing, a verified payment for a tenant that does not exist (the URL names no tenant)', async () => {
    // Signed with the environment's secret (no tenant of that name has its own): Stripe needs its 2xx, or it retries for days.
    const payload = completed(eventId(), 'nosuchtenant', 'bk_ghost');
    expect(await deliver(payload, sign(payload), 'nosuchtenant')).toEqual({ status: 200, body: { received: true, ignored: 'the webhook URL names no tenant' } });
    expect(paymentEvents()).toEqual([]);
    // Forged, it is still refused: the signature comes first.
    expect((await deliver(payload, sign(payload, { secret: 'whsec_someoneelse' }), 'nosuchtenant')).status).toBe(400);
  });

  it("acknowledges, without publishing, a verified checkout that is not one of ours: another tenant's, a Payment Link's", async () => {
    const other = completed(eventId(), 'other-clinic');
    expect(await deliver(other, sign(other))).toEqual({ status: 200, body: { received: true, ignored: 'a checkout session of another tenant than the webhook URL names' } });

    // A Payment Link's session, as Stripe sends it: no metadata of ours (Stripe retries a non-2xx for three days).
    const link = JSON.parse(checkoutCompletedEvent({ id: eventId(), tenantId: TENANT })) as { data: { object: Record<string, unknown> } };
    link.data.object = { ...link.data.object, payment_link: 'plink_1QxYz', metadata: {} };
    const payload = JSON.stringify(link, null, 2);
    expect(await deliver(payload, sign(payload))).toEqual({ status: 200, body: { received: true, ignored: 'a checkout session without a booking in its metadata' } });
    expect(paymentEvents()).toEqual([]);
  });

  it('acknowledges other event types without publishing, and reports expired checkouts as failed payments', async () => {
    const other = JSON.stringify({ id: eventId(), object: 'event', type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } });
    expect(await deliver(other, sign(other))).toEqual({ status: 200, body: { received: true, ignored: 'customer.created' } });
    expect(paymentEvents()).toEqual([]);

    const id = eventId();
    const failed = JSON.stringify({
      id,
      object: 'event',
      type: 'checkout.session.expired',
      data: { object: { id: 'cs_expired1', object: 'checkout.session', payment_status: 'unpaid', payment_intent: null, amount_total: 2500, metadata: { tenantId: TENANT, bookingId: 'bk_f' } } },
    });
    expect((await deliver(failed, sign(failed))).body.event).toBe('payment.failed');
    expect(paymentEvents()).toEqual([{ type: 'payment.failed', detail: { tenantId: TENANT, bookingId: 'bk_f', amountCents: 2500, eventId: id } }]);
  });

  it('verifies the exact bytes when API Gateway hands the body over base64-encoded', async () => {
    const id = eventId();
    const payload = completed(id, TENANT, 'bk_b64').replace('"cs_test_1"', '"cs_test_ñ"');
    const event = {
      resource: '/v1/webhooks/stripe/{tenantId}',
      path: `/v1/webhooks/stripe/${TENANT}`,
      httpMethod: 'POST',
      headers: { 'stripe-signature': sign(payload) },
      pathParameters: { tenantId: TENANT },
      requestContext: { requestId: 'r1' },
      body: Buffer.from(payload, 'utf8').toString('base64'),
      isBase64Encoded: true,
    };
    await expect(runtime.invoke('stripeWebhook', event)).resolves.toMatchObject({ statusCode: 200 });
    await expect(runtime.invoke('stripeWebhook', { ...event, body: Buffer.from(`${payload} `, 'utf8').toString('base64') })).resolves.toMatchObject({ statusCode: 400 });
    await bus.drain();
    expect(paymentEvents().map((e) => e.detail)).toEqual([expect.objectContaining({ bookingId: 'bk_b64', eventId: id })]);
  });
});

describe('the local checkout page', () => {
  const request = (bookingId: string, minutes = 30) => ({
    tenantId: TENANT,
    bookingId,
    amountCents: 2500,
    currency: 'EUR',
    description: 'Deposit — Cleaning <script>alert(1)</script> with Dr Byrne',
    expiresAt: new Date(Date.now() + minutes * 60_000).toISOString(),
    lang: 'en',
  });

  it('shows the deposit, escaped, with Pay and Cancel; Pay publishes payment.succeeded through the real webhook route, once', async () => {
    const { checkoutId, url } = await payments.createCheckout(request('bk_page'));
    expect(url).toBe(`${gateway.url}/checkout/${checkoutId}`);

    const shown = await fetch(url);
    const html = await shown.text();
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('€25.00');
    expect(html).toContain('Cleaning &lt;script&gt;alert(1)&lt;/script&gt; with Dr Byrne');
    expect(html).not.toContain('<script>');
    expect(html).toMatch(/<form method="post" action="\/checkout\/[^"]+\/pay"><button class="pay" type="submit">Pay<\/button>/);
    expect(html).toMatch(/<button class="cancel" type="submit">Cancel<\/button>/);

    const paid = await fetch(`${url}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain('Paid — you can return to the chat.');
    await bus.drain();
    const events = paymentEvents();
    expect(events).toEqual([
      {
        type: 'payment.succeeded',
        detail: { tenantId: TENANT, bookingId: 'bk_page', paymentId: expect.stringMatching(/^pi_local_/), amountCents: 2500, eventId: expect.stringMatching(/^evt_local_/) },
      },
    ]);
    expect(runtime.invocations.some((i) => i.fn === 'stripeWebhook' && !i.error)).toBe(true);

    const again = await fetch(`${url}/pay`, { method: 'POST' });
    expect(await again.text()).toContain('already paid');
    expect(await (await fetch(url)).text()).toContain('already paid');
    await bus.drain();
    expect(paymentEvents()).toHaveLength(1);
  });

  it('Cancel releases the booking with payment.failed; an expired or unknown link says so', async () => {
    const { url } = await payments.createCheckout(request('bk_cancel'));
    const cancelled = await fetch(`${url}/cancel`, { method: 'POST' });
    expect(await cancelled.text()).toContain('Payment cancelled');
    await bus.drain();
    expect(paymentEvents()).toEqual([{ type: 'payment.failed', detail: expect.objectContaining({ tenantId: TENANT, bookingId: 'bk_cancel', amountCents: 2500 }) }]);
    expect((await fetch(`${url}/pay`, { method: 'POST' })).status).toBe(410);

    const late = await payments.createCheckout(request('bk_late', -1));
    const expired = await fetch(late.url);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This payment link has expired.');
    expect((await fetch(`${late.url}/pay`, { method: 'POST' })).status).toBe(410);

    expect((await fetch(`${gateway.url}/checkout/${TENANT}.AAAAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/checkout/not-a-checkout`)).status).toBe(404);
    await bus.drain();
    expect(paymentEvents()).toHaveLength(1);
  });

  it('expiring a checkout (a rescheduled booking\'s old link) closes its page: no payment, no event; a second expiry is refused', async () => {
    const { checkoutId, url } = await payments.createCheckout(request('bk_moved'));
    await payments.expireCheckout({ tenantId: TENANT, bookingId: 'bk_moved', checkoutId });
    const shown = await fetch(url);
    expect(shown.status).toBe(410);
    expect(await shown.text()).toContain('This payment link has expired.');
    expect((await fetch(`${url}/pay`, { method: 'POST' })).status).toBe(410);
    await bus.drain();
    expect(paymentEvents()).toEqual([]);
    await expect(payments.expireCheckout({ tenantId: TENANT, bookingId: 'bk_moved', checkoutId })).rejects.toThrow(/not open/);

    // A paid one cannot be expired either (as Stripe refuses a completed session).
    const paid = await payments.createCheckout(request('bk_paid_first'));
    expect((await fetch(`${paid.url}/pay`, { method: 'POST' })).status).toBe(200);
    await expect(payments.expireCheckout({ tenantId: TENANT, bookingId: 'bk_paid_first', checkoutId: paid.checkoutId })).rejects.toThrow(/not open/);
  });

  it('refunds once per booking', async () => {
    const first = await payments.refund({ tenantId: TENANT, bookingId: 'bk_refund', paymentId: 'pi_local_x', amountCents: 2500 });
    const second = await payments.refund({ tenantId: TENANT, bookingId: 'bk_refund', paymentId: 'pi_local_x', amountCents: 2500 });
    expect(first.refundId).toMatch(/^re_local_/);
    expect(second).toEqual(first);
  });
});
