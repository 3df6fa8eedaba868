/**
 * Provider webhooks start a correlation id like every other entry point: the events a Twilio, Meta or
 * Stripe delivery publishes carry the invocation's id (the API Gateway request id, or a valid
 * `x-correlation-id`), so one id follows an inbound WhatsApp message or a deposit payment from the
 * webhook through the bus, the event targets and the booking workflow; a 500 names the same id.
 * Real handler modules on the local Lambda runtime behind the local gateway, DynamoDB Local, the local
 * bus; signatures made the providers' way (twilio SDK, Stripe SDK, HMAC for Meta).
 */
import { createHmac, randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import twilio from 'twilio';
import { messengerBody, twilioForm } from '../../local-cloud/channel-simulator';
import type { LocalEventBus, PutEventsEntry } from '../../local-cloud/event-bus';
import type { LocalGateway } from '../../local-cloud/gateway';
import { checkoutCompletedEvent } from '../support/stripe-events';
import { putTenantProfiles, startWebhookHandlers, type WebhookHandlers } from '../support/table-and-bus';

const TABLE = 'webhook-correlation-test';
const BUS = 'webhook-correlation-bus';
const TENANT = 'harbour-dental';
const TWILIO_TOKEN = randomBytes(16).toString('hex');
const META_SECRET = randomBytes(16).toString('hex');
const STRIPE_SECRET = `whsec_test${randomBytes(16).toString('hex')}`;

let handlers: WebhookHandlers;
let bus: LocalEventBus;
let gateway: LocalGateway;
const published: PutEventsEntry[] = [];

beforeAll(async () => {
  handlers = await startWebhookHandlers({
    table: TABLE,
    busName: BUS,
    functions: ['twilioWebhook', 'metaWebhook', 'stripeWebhook'],
    env: {
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      META_APP_SECRET: META_SECRET,
      META_VERIFY_TOKEN: `verify-${randomBytes(8).toString('hex')}`,
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
    },
    published,
  });
  ({ bus, gateway } = handlers);
  await putTenantProfiles(handlers.doc, TABLE, [TENANT]);
}, 120_000);

afterAll(async () => {
  await handlers?.stop();
});

beforeEach(() => {
  published.length = 0;
});

/** The correlation ids on the published events of `type`. */
const correlationIds = (type: string): unknown[] =>
  published.filter((e) => e.DetailType === type).map((e) => (JSON.parse(e.Detail ?? '{}') as Record<string, unknown>)['correlationId']);

const header = (id: string | undefined): Record<string, string> => (id === undefined ? {} : { 'X-Correlation-Id': id });

async function postTwilio(text: string, correlationId?: string): Promise<number> {
  const url = `${gateway.url}/v1/webhooks/twilio/${TENANT}`;
  const form = twilioForm('whatsapp', '+34600111222', text);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(TWILIO_TOKEN, url, form), ...header(correlationId) },
    body: new URLSearchParams(form).toString(),
  });
  await response.text();
  return response.status;
}

async function postMeta(text: string, correlationId?: string): Promise<number> {
  const body = messengerBody(`20000000${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`, text, new Date());
  const response = await fetch(`${gateway.url}/v1/webhooks/meta/${TENANT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', META_SECRET).update(body).digest('hex')}`, ...header(correlationId) },
    body,
  });
  await response.text();
  return response.status;
}

async function postStripe(bookingId: string, correlationId?: string): Promise<{ status: number; body: { error?: { correlationId?: string } } }> {
  const payload = checkoutCompletedEvent({ tenantId: TENANT, bookingId });
  const response = await fetch(`${gateway.url}/v1/webhooks/stripe/${TENANT}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET }), ...header(correlationId) },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as { error?: { correlationId?: string } } };
}

const requestId = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

describe('provider webhooks start a correlation id', () => {
  it('Twilio: the inbound message event carries the request id, a fresh one per delivery', async () => {
    expect(await postTwilio('Do you have parking?')).toBe(200);
    expect(await postTwilio('And on Saturdays?')).toBe(200);
    const ids = correlationIds('channel.message.received');
    expect(ids).toEqual([requestId, requestId]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('Twilio and Meta: a valid x-correlation-id is the id of what they publish', async () => {
    const twilioId = `wa-${randomBytes(6).toString('hex')}`;
    const metaId = `ms-${randomBytes(6).toString('hex')}`;
    expect(await postTwilio('hello', twilioId)).toBe(200);
    expect(await postMeta('hello', metaId)).toBe(200);
    expect(correlationIds('channel.message.received').sort()).toEqual([metaId, twilioId].sort());
  });

  it('Stripe: payment.succeeded carries the id, and a 500 names the same id the logs have', async () => {
    const paid = `pay-${randomBytes(6).toString('hex')}`;
    expect((await postStripe('bk_corr_1', paid)).status).toBe(200);
    expect(correlationIds('payment.succeeded')).toEqual([paid]);

    const failing = `fail-${randomBytes(6).toString('hex')}`;
    const putEvents = bus.putEvents;
    bus.putEvents = (entries) => ({ FailedEntryCount: entries.length, Entries: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'down' })) });
    try {
      const out = await postStripe('bk_corr_2', failing);
      expect(out.status).toBe(500);
      expect(out.body.error?.correlationId).toBe(failing);
    } finally {
      bus.putEvents = putEvents;
    }
  });
});
