/**
 * The Stripe adapter against a fake Stripe API (node:http on 127.0.0.1): the exact form-encoded requests the
 * official SDK sends for Checkout Sessions and refunds, and how their answers are read; the webhook side —
 * signatures made by the SDK's own helper, verified on the raw body, and events read into payment outcomes;
 * and the choice of adapter from configuration.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Stripe from 'stripe';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { paymentsFromConfig, TenantPayments } from '../../lambdas/adapters/payments';
import { newCheckoutId, tenantOfCheckoutId } from '../../lambdas/adapters/payments/local';
import { constructStripeEvent, paymentOutcomeOf, StripePayments, type StripeEvent } from '../../lambdas/adapters/payments/stripe';
import { DomainError } from '../../lambdas/core/errors';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const NOW = new Date('2026-12-01T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;
const clock = { now: () => NOW };

let server: Server;
let apiBase: string;
const requests: Recorded[] = [];
let reply: (r: Recorded) => { status: number; body: unknown } = () => ({ status: 500, body: {} });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      const out = reply(recorded);
      res.writeHead(out.status, { 'content-type': 'application/json', 'request-id': 'req_fake' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  requests.length = 0;
});

const payments = (): StripePayments => new StripePayments({ secretKey: 'sk_test_fake123', returnUrl: 'https://harbour.example/book?x=1', apiBase, clock, maxNetworkRetries: 0 });

const form = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body).entries());

const checkoutRequest = {
  tenantId: 'harbour-dental',
  bookingId: 'bk_123',
  amountCents: 2500,
  currency: 'EUR',
  description: 'Deposit — Cleaning with Dr Byrne, Thu 4 Dec 14:00',
  customerEmail: 'ana@example.com',
  expiresAt: new Date(NOW.getTime() + 2 * 60 * 60 * 1000).toISOString(),
  lang: 'es',
};

describe('StripePayments against a fake Stripe API', () => {
  it('creates a Checkout Session with exactly the agreed form fields and returns its id and URL', async () => {
    reply = () => ({ status: 200, body: { id: 'cs_test_a1', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_a1' } });
    const out = await payments().createCheckout(checkoutRequest);
    expect(out).toEqual({ checkoutId: 'cs_test_a1', url: 'https://checkout.stripe.com/c/pay/cs_test_a1' });

    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/checkout/sessions');
    expect(req?.headers['authorization']).toBe('Bearer sk_test_fake123');
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(req?.body ?? '')).toEqual({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '2500',
      'line_items[0][price_data][product_data][name]': 'Deposit — Cleaning with Dr Byrne, Thu 4 Dec 14:00',
      'metadata[tenantId]': 'harbour-dental',
      'metadata[bookingId]': 'bk_123',
      'payment_intent_data[metadata][tenantId]': 'harbour-dental',
      'payment_intent_data[metadata][bookingId]': 'bk_123',
      expires_at: String(NOW_S + 2 * 60 * 60),
      success_url: 'https://harbour.example/book?x=1&checkout=paid',
      cancel_url: 'https://harbour.example/book?x=1&checkout=cancelled',
      customer_email: 'ana@example.com',
      locale: 'es',
    });
  });

  it("keeps expires_at inside Stripe's 30 minutes to 24 hours, says so with the real expiry, and leaves out what is unknown", async () => {
    reply = () => ({ status: 200, body: { id: 'cs_test_b', object: 'checkout.session', url: 'https://checkout.stripe.com/c/pay/cs_test_b' } });
    const { customerEmail: _e, ...noEmail } = checkoutRequest;
    const tooSoon = await payments().createCheckout({ ...noEmail, lang: 'ga', expiresAt: new Date(NOW.getTime() + 10 * 60 * 1000).toISOString() });
    const tooLate = await payments().createCheckout({ ...noEmail, expiresAt: new Date(NOW.getTime() + 48 * 60 * 60 * 1000).toISOString() });
    const [soon, late] = requests.map((r) => form(r.body));
    expect(Number(soon?.['expires_at'])).toBe(NOW_S + 31 * 60);
    expect(Number(late?.['expires_at'])).toBe(NOW_S + 24 * 60 * 60 - 60);
    // The workflow waits for (and tells the customer) the page's real expiry, not the one it asked for.
    expect(tooSoon.expiresAt).toBe(new Date((NOW_S + 31 * 60) * 1000).toISOString());
    expect(tooLate.expiresAt).toBe(new Date((NOW_S + 24 * 60 * 60 - 60) * 1000).toISOString());
    expect(soon).not.toHaveProperty('customer_email');
    expect(soon).not.toHaveProperty('locale');
  });

  it('refunds the payment intent in full with an idempotency key per booking', async () => {
    reply = () => ({ status: 200, body: { id: 're_fake9', object: 'refund', status: 'succeeded', payment_intent: 'pi_fake1' } });
    const input = { tenantId: 'harbour-dental', bookingId: 'bk_123', paymentId: 'pi_fake1', amountCents: 2500 };
    await expect(payments().refund(input)).resolves.toEqual({ refundId: 're_fake9' });
    await payments().refund(input);
    const [first, second] = requests;
    expect(first?.path).toBe('/v1/refunds');
    expect(form(first?.body ?? '')).toEqual({ payment_intent: 'pi_fake1', 'metadata[tenantId]': 'harbour-dental', 'metadata[bookingId]': 'bk_123' });
    expect(first?.headers['idempotency-key']).toBe('refund-bk_123');
    expect(second?.headers['idempotency-key']).toBe('refund-bk_123');
  });

  it("surfaces Stripe's errors as the SDK's typed errors", async () => {
    reply = () => ({ status: 400, body: { error: { type: 'invalid_request_error', code: 'charge_already_refunded', message: 'Charge has already been refunded.' } } });
    await expect(payments().refund({ tenantId: 'harbour-dental', bookingId: 'bk_1', paymentId: 'pi_x', amountCents: 1 })).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('expires a Checkout Session (a rescheduled booking\'s old link), and surfaces a refusal (already completed)', async () => {
    reply = () => ({ status: 200, body: { id: 'cs_test_old', object: 'checkout.session', status: 'expired', url: null } });
    await expect(payments().expireCheckout({ tenantId: 'harbour-dental', bookingId: 'bk_123', checkoutId: 'cs_test_old' })).resolves.toBeUndefined();
    expect(requests.map((r) => [r.method, r.path])).toEqual([['POST', '/v1/checkout/sessions/cs_test_old/expire']]);
    reply = () => ({ status: 400, body: { error: { type: 'invalid_request_error', message: 'Only Checkout Sessions with a status in ["open"] can be expired.' } } });
    await expect(payments().expireCheckout({ tenantId: 'harbour-dental', bookingId: 'bk_123', checkoutId: 'cs_test_paid' })).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it("expires a tenant's checkout where it was made: the local page's by the environment's adapter, a Stripe one under the tenant's key", async () => {
    reply = () => ({ status: 200, body: { id: 'cs_test_t', object: 'checkout.session', status: 'expired' } });
    const local: string[] = [];
    const fallback = {
      provider: 'local' as const,
      createCheckout: () => Promise.reject(new Error('unused')),
      refund: () => Promise.reject(new Error('unused')),
      expireCheckout: async (input: { checkoutId: string }) => void local.push(input.checkoutId),
    };
    const secrets = { get: async (tenantId: string) => (tenantId === 'own-key' ? { secretKey: 'sk_test_tenant' } : undefined) };
    const tenants = new TenantPayments(secrets as never, fallback, { returnUrl: 'https://harbour.example/book', apiBase, clock });
    const localId = newCheckoutId('harbour-dental');
    await tenants.expireCheckout({ tenantId: 'harbour-dental', bookingId: 'bk_1', checkoutId: localId });
    await tenants.expireCheckout({ tenantId: 'own-key', bookingId: 'bk_2', checkoutId: 'cs_test_t' });
    expect(local).toEqual([localId]);
    expect(requests.map((r) => [r.path, r.headers['authorization']])).toEqual([['/v1/checkout/sessions/cs_test_t/expire', 'Bearer sk_test_tenant']]);
  });

  it('refuses a session that comes back without a URL', async () => {
    reply = () => ({ status: 200, body: { id: 'cs_test_nourl', object: 'checkout.session', url: null } });
    await expect(payments().createCheckout(checkoutRequest)).rejects.toThrow(/without a URL/);
  });
});

// ---- the webhook side -------------------------------------------------------------------------

const SECRET = 'whsec_unit_test_secret';

function sessionEvent(type: string, object: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      id: 'evt_1Abc',
      object: 'event',
      type,
      data: {
        object: {
          id: 'cs_test_1',
          object: 'checkout.session',
          amount_total: 2500,
          payment_intent: 'pi_3Xyz',
          payment_status: 'paid',
          metadata: { tenantId: 'harbour-dental', bookingId: 'bk_123' },
          ...object,
        },
      },
    },
    null,
    2,
  );
}

const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}): string =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, ...(options.timestamp ? { timestamp: options.timestamp } : {}) });

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('constructStripeEvent: the signature over the raw body first', () => {
  const payload = sessionEvent('checkout.session.completed');

  it('accepts a body signed with the secret, as a string or as the bytes', () => {
    expect(constructStripeEvent(payload, sign(payload), SECRET).id).toBe('evt_1Abc');
    expect(constructStripeEvent(Buffer.from(payload, 'utf8'), sign(payload), SECRET).type).toBe('checkout.session.completed');
  });

  it('refuses a missing, forged, wrong-secret or stale signature, naming the header', () => {
    const missing = refusal(() => constructStripeEvent(payload, undefined, SECRET));
    const forged = refusal(() => constructStripeEvent(payload, `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`, SECRET));
    const wrongSecret = refusal(() => constructStripeEvent(payload, sign(payload, { secret: 'whsec_another' }), SECRET));
    const stale = refusal(() => constructStripeEvent(payload, sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }), SECRET));
    for (const e of [missing, forged, wrongSecret, stale]) expect({ code: e.code, field: e.field }).toEqual({ code: 'bad_request', field: 'Stripe-Signature' });
    expect(missing.message).toMatch(/missing/);
    expect(forged.message).toMatch(/does not match/);
    expect(stale.message).toMatch(/too old/);
  });

  it('refuses a malformed or unusable header as malformed, not as a body problem (t=, an empty v1=, no timestamp)', () => {
    const now = Math.floor(Date.now() / 1000);
    const hex = 'ab'.repeat(32);
    for (const header of ['t=,v1=', `t=${now},v1=`, `${sign(payload)},v1=`, `t=${now},v1`, `t=soon,v1=${hex}`, `t=${now}`, `v1=${hex}`, `t=${now},v0=${hex}`, 'hello', ',']) {
      const e = refusal(() => constructStripeEvent(payload, header, SECRET));
      expect({ code: e.code, field: e.field, header }).toEqual({ code: 'bad_request', field: 'Stripe-Signature', header });
      expect(e.message).toBe('Stripe-Signature: the header is malformed (expected t=<unix seconds>,v1=<signature>)');
    }
    // Well formed with extra schemes or items Stripe may add, it is checked as usual.
    expect(constructStripeEvent(payload, `${sign(payload)},v0=${hex}`, SECRET).id).toBe('evt_1Abc');
  });

  it('refuses any change to the signed body (re-serialised JSON included)', () => {
    const header = sign(payload);
    expect(refusal(() => constructStripeEvent(JSON.stringify(JSON.parse(payload)), header, SECRET)).field).toBe('Stripe-Signature');
    fc.assert(
      fc.property(fc.nat({ max: payload.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }), (at, insert) => {
        const tampered = payload.slice(0, at) + insert + payload.slice(at);
        expect(refusal(() => constructStripeEvent(tampered, header, SECRET)).field).toBe('Stripe-Signature');
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a signed body that is not JSON, or not an event', () => {
    const notJson = '{"id": "evt_1", oops';
    expect(refusal(() => constructStripeEvent(notJson, sign(notJson), SECRET)).message).toMatch(/not a JSON Stripe event/);
    const notEvent = JSON.stringify({ id: 'nope', object: 'event', type: 'x', data: { object: {} } });
    expect(() => constructStripeEvent(notEvent, sign(notEvent), SECRET)).toThrow(/must be a Stripe id/);
  });
});

describe('paymentOutcomeOf', () => {
  const event = (type: string, object: Record<string, unknown> = {}): StripeEvent => constructStripeEvent(sessionEvent(type, object), sign(sessionEvent(type, object)), SECRET);

  it('reads a paid checkout as succeeded, with the payment intent and amount', () => {
    expect(paymentOutcomeOf(event('checkout.session.completed'), 'harbour-dental')).toEqual({
      outcome: { tenantId: 'harbour-dental', bookingId: 'bk_123', status: 'succeeded', paymentId: 'pi_3Xyz', amountCents: 2500, eventId: 'evt_1Abc' },
    });
    expect(paymentOutcomeOf(event('checkout.session.async_payment_succeeded'), 'harbour-dental')).toMatchObject({ outcome: { status: 'succeeded' } });
  });

  it('reads expired sessions as failed, and ignores a declined card (the customer may retry on the same page)', () => {
    expect(paymentOutcomeOf(event('checkout.session.expired', { payment_intent: null, payment_status: 'unpaid' }), 'harbour-dental')).toEqual({
      outcome: { tenantId: 'harbour-dental', bookingId: 'bk_123', status: 'failed', amountCents: 2500, eventId: 'evt_1Abc' },
    });
    const pi: StripeEvent = { id: 'evt_2', object: 'event', type: 'payment_intent.payment_failed', data: { object: { id: 'pi_9', object: 'payment_intent', amount: 1500, metadata: { tenantId: 'harbour-dental', bookingId: 'bk_9' } } } };
    expect(paymentOutcomeOf(pi, 'harbour-dental')).toEqual({ ignored: 'a declined card can be retried on the checkout page; its expiry ends the payment' });
  });

  it('ignores other events and completed-but-unpaid sessions', () => {
    expect(paymentOutcomeOf({ id: 'evt_3', object: 'event', type: 'customer.created', data: { object: {} } }, 'harbour-dental')).toEqual({ ignored: 'customer.created' });
    expect(paymentOutcomeOf(event('checkout.session.completed', { payment_status: 'unpaid' }), 'harbour-dental')).toEqual({ ignored: 'checkout session completed unpaid' });
  });

  it("ignores (acknowledges) a session of another tenant, or without the booking's metadata: the tenant's other checkouts, Payment Links", () => {
    const otherTenant = { ignored: 'a checkout session of another tenant than the webhook URL names' };
    const notOurs = { ignored: 'a checkout session without a booking in its metadata' };
    expect(paymentOutcomeOf(event('checkout.session.completed'), 'other-clinic')).toEqual(otherTenant);
    expect(paymentOutcomeOf(event('checkout.session.completed', { metadata: {} }), 'harbour-dental')).toEqual(notOurs);
    expect(paymentOutcomeOf(event('checkout.session.completed', { metadata: { order: '1042' }, payment_link: 'plink_1Q' }), 'harbour-dental')).toEqual(notOurs);
    expect(paymentOutcomeOf(event('checkout.session.expired', { metadata: null, payment_status: 'unpaid' }), 'harbour-dental')).toEqual(notOurs);
    expect(paymentOutcomeOf(event('checkout.session.async_payment_succeeded', { metadata: { tenantId: 'harbour-dental' } }), 'harbour-dental')).toEqual(notOurs);
  });

  it('still refuses a checkout event whose object is not a checkout session', () => {
    expect(refusal(() => paymentOutcomeOf(event('checkout.session.completed', { object: 'payment_intent' }), 'harbour-dental')).field).toBe('data.object');
  });
});

describe('choosing the adapter, and the keys', () => {
  it('uses Stripe with a secret key (which needs a return URL), the local page otherwise', async () => {
    expect(paymentsFromConfig({ STRIPE_SECRET_KEY: 'sk_test_x', CHECKOUT_RETURN_URL: 'https://a.example/' }).provider).toBe('stripe');
    expect(() => paymentsFromConfig({ STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(/CHECKOUT_RETURN_URL/);
    expect(paymentsFromConfig({ LOCAL_CHECKOUT_URL: 'http://127.0.0.1:1/checkout', TABLE_NAME: 't' }).provider).toBe('local');
    // Without any provider everything else works; only a deposit fails, with the reason.
    await expect(paymentsFromConfig({}).createCheckout(checkoutRequest)).rejects.toThrow(/deposits are not configured: set STRIPE_SECRET_KEY/);
  });

  it('keeps payment records and Stripe event records under the tenant', () => {
    expect(keys.localCheckout('demo', 'demo.abc').pk).toBe('T#demo#PAY');
    expect(keys.localRefund('demo', 'bk1')).toEqual({ pk: 'T#demo#PAY', sk: 'REFUND#bk1' });
    expect(keys.stripeEventPartition('demo')).toBe('T#demo#STRIPE-EVENT');
    expect(() => keys.stripeEventPartition('Demo#X')).toThrow(/invalid tenant id/);
  });

  it('carries the tenant in local checkout ids', () => {
    const id = newCheckoutId('harbour-dental');
    expect(tenantOfCheckoutId(id)).toBe('harbour-dental');
    for (const bad of ['harbour-dental', 'x.y', 'T#x.abcdefghijklmnopqrst', '../etc.abcdefghijklmnopqrst']) expect(tenantOfCheckoutId(bad)).toBeUndefined();
  });
});
