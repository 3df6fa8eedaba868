/**
 * Outbound webhooks and the HubSpot contact sync, end to end in the local cloud: subscriptions through the admin
 * API (local Cognito tokens, the real handler), real bus events (a manual booking and its workflow, a WhatsApp
 * customer, a handoff taken over and closed) routed by the declared OutboundWebhooks rule to the real dispatcher,
 * which POSTs to a receiver on 127.0.0.1 (node:http) and to a fake HubSpot API. Every received body is checked with
 * `verifyConciergeSignature` and the secret from the POST answer. Retries, the dead-letter view, redelivery,
 * replays and tenant isolation are checked on the receiver's own counts.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import twilio from 'twilio';
import { z } from 'zod';
import { knowledgeStore, store } from '../../lambdas/adapters/container';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { zonedToUtc } from '../../lambdas/core/nlu/time';
import { futureWeekday } from '../support/days';
import { verifyConciergeSignature } from '../../lambdas/core/webhooks/signature';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { twilioForm } from '../../local-cloud/channel-simulator';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, signIn } from '../support/staff';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string;
}

/** A local HTTP server that records every request; `answer` decides the status per request. */
async function recorder(answer: (req: Received, nthOnPath: number) => { status: number; body?: unknown }): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '/', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') };
      got.push(r);
      const out = answer(r, got.filter((g) => g.path === r.path).length);
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const event = z.object({ id: z.string(), type: z.string(), createdAt: z.string(), tenantId: z.string(), data: z.record(z.string(), z.unknown()) });
const delivery = z.object({ deliveryId: z.string(), eventId: z.string(), eventType: z.string(), target: z.string(), status: z.string(), attempts: z.number(), statusCode: z.number().optional() });
const created = z.object({ webhook: z.object({ webhookId: z.string(), url: z.string(), events: z.array(z.string()), secretHint: z.string() }), secret: z.string() });

let cloud: LocalCloud;
let receiver: Awaited<ReturnType<typeof recorder>>;
let hubspot: Awaited<ReturnType<typeof recorder>>;
let downFixed = false;
const A = 'demo';
const B = 'webhooks-b';
const B_ADMIN = { email: 'owner@webhooks-b.example', password: 'Webhooks-B-Owner-2026!' };
const HUBSPOT_TOKEN = `pat-na1-${randomBytes(16).toString('hex')}`;
const tokens = { adminA: '', adminB: '' };
const secrets: Record<string, string> = {};
const TZ = 'Europe/Dublin';

/** What the receiver got on a path, each body verified with that subscription's secret. */
function eventsOn(path: string) {
  return receiver.got
    .filter((r) => r.path === path)
    .map((r) => {
      const header = r.headers['concierge-signature'];
      expect(verifyConciergeSignature(r.raw, typeof header === 'string' ? header : undefined, secrets[path] ?? '')).toBe(true);
      const body = event.parse(JSON.parse(r.raw));
      expect(r.headers['concierge-event-id']).toBe(body.id);
      expect(r.headers['concierge-event-type']).toBe(body.type);
      return body;
    });
}

async function subscribe(token: string, path: string, events: readonly string[]): Promise<string> {
  const res = await api(cloud, 'POST', '/v1/admin/webhooks', token, { url: `${receiver.url}${path}`, events });
  expect(res.status).toBe(201);
  const body = created.parse(res.body);
  expect(body.secret).toMatch(/^whsec_/);
  expect(body.webhook.secretHint.endsWith(body.secret.slice(-4))).toBe(true);
  secrets[path] = body.secret;
  return body.webhook.webhookId;
}


beforeAll(async () => {
  receiver = await recorder((req, n) => {
    if (req.path === '/flaky') return { status: n <= 2 ? 500 : 200 };
    if (req.path === '/down') return { status: downFixed ? 204 : 500 };
    return { status: 200 };
  });
  hubspot = await recorder((req) => {
    if (req.path.endsWith('/search')) return { status: 200, body: { total: 0, results: [] } };
    if (req.path.endsWith('/batch/upsert')) return { status: 200, body: { status: 'COMPLETE', results: [{ id: '501', properties: {} }] } };
    return { status: 201, body: { id: '502', properties: {} } };
  });
  process.env['HUBSPOT_API_BASE'] = hubspot.url;
  cloud = await startLocalCloud({ quiet: true });
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  await provisionTenant(knowledgeStore(), { tenantId: B, widgetKey: newWidgetKey(B), allowedOrigins: [], kb: { ...demo, business: { ...demo.business, name: 'Other Clinic', slug: B } } });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: B, groups: ['admin'] }]);
  tokens.adminA = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  tokens.adminB = await signIn(cloud, B_ADMIN.email, B_ADMIN.password);
}, 240_000);

afterAll(async () => {
  await cloud?.settle();
  await cloud?.stop();
  await receiver?.close();
  await hubspot?.close();
  delete process.env['HUBSPOT_API_BASE'];
});

describe('subscriptions', () => {
  it('refuses a non-https URL, a private address and unknown events, naming the field', async () => {
    const http = await api(cloud, 'POST', '/v1/admin/webhooks', tokens.adminA, { url: 'http://example.com/hook', events: ['booking.created'] });
    expect(http.status).toBe(400);
    expect(http.body).toMatchObject({ error: { field: 'url' } });
    const metadata = await api(cloud, 'POST', '/v1/admin/webhooks', tokens.adminA, { url: 'https://169.254.169.254/latest', events: ['booking.created'] });
    expect(metadata.status).toBe(400);
    const unknown = await api(cloud, 'POST', '/v1/admin/webhooks', tokens.adminA, { url: `${receiver.url}/x`, events: ['booking.exploded'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: { field: 'events.0' } });
  });

  it('creates subscriptions whose secret is shown once, and lists them without it', async () => {
    await subscribe(tokens.adminA, '/all', ['customer.created', 'conversation.closed', 'handoff.requested', 'booking.created', 'booking.changed', 'booking.cancelled', 'payment.succeeded']);
    await subscribe(tokens.adminA, '/flaky', ['handoff.requested']);
    await subscribe(tokens.adminA, '/down', ['conversation.closed']);
    await subscribe(tokens.adminB, '/b', ['customer.created', 'conversation.closed', 'handoff.requested', 'booking.created']);
    const list = await api(cloud, 'GET', '/v1/admin/webhooks', tokens.adminA);
    expect(list.status).toBe(200);
    expect(z.object({ items: z.array(z.object({ url: z.string() })) }).parse(list.body).items.map((i) => new URL(i.url).pathname).sort()).toEqual(['/all', '/down', '/flaky']);
    for (const secret of Object.values(secrets)) expect(list.text).not.toContain(secret);
    // HubSpot as the tenant's CRM (the Channels & integrations page's credentials route).
    expect((await api(cloud, 'PUT', '/v1/admin/integrations/hubspot', tokens.adminA, { accessToken: HUBSPOT_TOKEN })).status).toBe(200);
  });

  it('sends a signed ping on demand', async () => {
    const list = z.object({ items: z.array(z.object({ webhookId: z.string(), url: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/webhooks', tokens.adminA)).body);
    const all = list.items.find((i) => i.url.endsWith('/all'));
    const res = await api(cloud, 'POST', `/v1/admin/webhooks/${all?.webhookId ?? ''}/test`, tokens.adminA);
    expect(res.status).toBe(200);
    expect(delivery.parse(z.object({ delivery: z.unknown() }).parse(res.body).delivery)).toMatchObject({ status: 'delivered', attempts: 1, statusCode: 200, eventType: 'ping' });
    expect(eventsOn('/all').map((e) => e.type)).toEqual(['ping']);
  });
});

describe('events', () => {
  it('a manual booking: booking.created to the receiver, and the contact upserted in HubSpot by e-mail', async () => {
    const day = futureWeekday(4);
    const start = zonedToUtc(day, '11:00', TZ).toISOString();
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.adminA, {
      serviceId: 'checkup-clean',
      staffId: 'marta-ruiz',
      start,
      customer: { name: 'Aoife Byrne', phone: '+353 87 555 0199', email: 'aoife.byrne@example.com' },
      partySize: 3,
    });
    expect(res.status).toBe(201);
    await cloud.settle();
    const booked = eventsOn('/all').find((e) => e.type === 'booking.created');
    expect(booked?.tenantId).toBe(A);
    expect(booked?.data).toMatchObject({
      booking: { status: 'confirmed', service: { id: 'checkup-clean' }, staff: { id: 'marta-ruiz' }, start, partySize: 3, deposit: { currency: expect.any(String) } },
      customer: { name: 'Aoife Byrne', email: 'aoife.byrne@example.com' },
    });
    const upsert = hubspot.got.find((r) => r.path === '/crm/v3/objects/contacts/batch/upsert');
    expect(upsert?.headers.authorization).toBe(`Bearer ${HUBSPOT_TOKEN}`);
    expect(JSON.parse(upsert?.raw ?? '{}')).toEqual({
      inputs: [{ id: 'aoife.byrne@example.com', idProperty: 'email', properties: { email: 'aoife.byrne@example.com', phone: expect.any(String), firstname: 'Aoife', lastname: 'Byrne' } }],
    });
  });

  it('a new WhatsApp customer: customer.created once, and a HubSpot contact searched by phone then created', async () => {
    const phone = `+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`;
    const url = `${cloud.urls.rest}/v1/webhooks/twilio/${A}`;
    for (const text of ['Hello, are you open on Saturdays?', 'Thanks']) {
      const form = twilioForm('whatsapp', phone, text);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, form) },
        body: new URLSearchParams(form).toString(),
      });
      expect(response.status).toBe(200);
      await cloud.settle();
    }
    const customers = eventsOn('/all').filter((e) => e.type === 'customer.created' && JSON.stringify(e.data).includes(phone));
    expect(customers).toHaveLength(1);
    expect(customers[0]?.data).toMatchObject({ customer: { key: `phone:${phone}`, phone }, channel: 'whatsapp' });
    const search = hubspot.got.filter((r) => r.path === '/crm/v3/objects/contacts/search' && r.raw.includes(phone));
    expect(search).toHaveLength(1);
    const create = hubspot.got.filter((r) => r.path === '/crm/v3/objects/contacts' && r.raw.includes(phone));
    expect(create.map((r) => JSON.parse(r.raw))).toEqual([{ properties: { phone } }]);
  });

  it('a handoff taken over and closed: handoff.requested (after two 500s, retried) and conversation.closed; a receiver that stays down lands in the dead-letter view', async () => {
    const conversation = await store().startConversation(A, `wh-visitor-${randomBytes(6).toString('hex')}`, 'en');
    const { conversationId } = conversation;
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, tokens.adminA)).status).toBe(200);
    await cloud.settle();
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/close`, tokens.adminA)).status).toBe(200);
    await cloud.settle();

    const all = eventsOn('/all').filter((e) => e.data['conversationId'] === conversationId);
    expect(all.map((e) => e.type).sort()).toEqual(['conversation.closed', 'handoff.requested']);
    // The flaky receiver answered 500, 500, 200: three POSTs of the same event id, one delivery.
    const flaky = eventsOn('/flaky');
    expect(flaky).toHaveLength(3);
    expect(new Set(flaky.map((e) => e.id)).size).toBe(1);
    const delivered = z.object({ items: z.array(delivery) }).parse((await api(cloud, 'GET', '/v1/admin/webhooks/deliveries?status=delivered', tokens.adminA)).body).items;
    expect(delivered.find((d) => d.eventId === flaky[0]?.id && d.target === 'webhook')).toMatchObject({ status: 'delivered', attempts: 3, statusCode: 200 });

    // The receiver that is down: three tries, then the dead-letter view.
    expect(eventsOn('/down')).toHaveLength(3);
    const failed = z.object({ items: z.array(delivery) }).parse((await api(cloud, 'GET', '/v1/admin/webhooks/deliveries?status=failed', tokens.adminA)).body).items;
    const dead = failed.find((d) => d.eventType === 'conversation.closed');
    expect(dead).toMatchObject({ status: 'failed', attempts: 3, statusCode: 500 });
    expect(JSON.stringify(failed)).not.toContain('aoife');

    // Fixed: redelivered once, delivered, gone from the dead-letter view.
    downFixed = true;
    const again = await api(cloud, 'POST', `/v1/admin/webhooks/deliveries/${dead?.deliveryId ?? ''}/redeliver`, tokens.adminA);
    expect(again.status).toBe(200);
    expect(z.object({ delivery }).parse(again.body).delivery).toMatchObject({ status: 'delivered', attempts: 4, statusCode: 204 });
    const down = eventsOn('/down');
    expect(down).toHaveLength(4);
    expect(down[3]?.id).toBe(dead?.eventId);
    const after = z.object({ items: z.array(delivery) }).parse((await api(cloud, 'GET', '/v1/admin/webhooks/deliveries?status=failed', tokens.adminA)).body).items;
    expect(after.some((d) => d.deliveryId === dead?.deliveryId)).toBe(false);
    expect((await api(cloud, 'POST', `/v1/admin/webhooks/deliveries/${dead?.deliveryId ?? ''}/redeliver`, tokens.adminA)).status).toBe(409);
  });

  it('a replayed bus event does not POST twice', async () => {
    const envelope = {
      version: '0',
      id: `replay-${randomBytes(6).toString('hex')}`,
      'detail-type': 'handoff.requested',
      source: 'concierge',
      time: new Date().toISOString(),
      detail: { tenantId: A, conversationId: 'replayed-conversation', reason: 'customer asked for a person' },
    };
    const before = receiver.got.length;
    const first = await cloud.runtime.invoke('webhookDispatcher', envelope);
    const second = await cloud.runtime.invoke('webhookDispatcher', envelope);
    expect(first).toMatchObject({ delivered: 2, duplicates: 0 });
    expect(second).toMatchObject({ delivered: 0, duplicates: 2 });
    const replayed = receiver.got.slice(before).filter((r) => r.raw.includes(envelope.id));
    expect(replayed.map((r) => r.path).sort()).toEqual(['/all', '/flaky']);
  });

  it("never sends tenant A's events to tenant B's subscription", async () => {
    // B's own event reaches B's receiver; none of A's many did.
    await cloud.runtime.invoke('webhookDispatcher', {
      id: `b-${randomBytes(6).toString('hex')}`,
      'detail-type': 'handoff.requested',
      source: 'concierge',
      time: new Date().toISOString(),
      detail: { tenantId: B, conversationId: 'b-conversation', reason: 'customer asked for a person' },
    });
    expect(eventsOn('/all').length).toBeGreaterThan(3);
    expect(eventsOn('/b').map((e) => [e.tenantId, e.type, e.data['conversationId']])).toEqual([[B, 'handoff.requested', 'b-conversation']]);
    // B's own dead-letter view and list are its own.
    const list = await api(cloud, 'GET', '/v1/admin/webhooks', tokens.adminB);
    expect(z.object({ items: z.array(z.object({ url: z.string() })) }).parse(list.body).items.map((i) => new URL(i.url).pathname)).toEqual(['/b']);
    const failed = await api(cloud, 'GET', '/v1/admin/webhooks/deliveries?status=failed', tokens.adminB);
    expect(z.object({ items: z.array(delivery) }).parse(failed.body).items).toEqual([]);
  });
});
