/**
 * Hostile input at the public edge that random fuzzing (test/fuzz) is unlikely to build, through the real local
 * cloud (gateway, staff authorizer with local Cognito tokens, the handlers, DynamoDB Local): page cursors shaped
 * exactly like the API's own but forged or reused with other dates; fields a body or frame may not have; staff
 * replies that show nothing; a booking start off the grid; newConversation frames in a loop. Each is a 4xx (or an
 * error frame) naming the field, or the answer a well-formed request would get; never a 500, never a half-write.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { handoffStore, store } from '../../lambdas/adapters/container';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, signIn } from '../support/staff';
import { futureWeekday } from '../support/days';
import { connect, wsUrl } from '../support/ws-client';

let cloud: LocalCloud;
let token = '';

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  token = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
}, 60_000);

const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const refusal = z.object({ error: z.object({ code: z.literal('bad_request'), message: z.string(), field: z.literal('cursor') }) });
const conversationsPage = z.object({ items: z.array(z.object({ conversationId: z.string() })), nextCursor: z.string().optional() });

describe('GET /v1/admin/conversations with a forged cursor', () => {
  it('pages through real conversations with the cursors it hands out', async () => {
    for (let i = 0; i < 3; i++) await store().startConversation('demo', `hostile-visitor-${i}-${Date.now()}`, 'en');
    const first = conversationsPage.parse((await api(cloud, 'GET', '/v1/admin/conversations?limit=2', token)).body);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await api(cloud, 'GET', `/v1/admin/conversations?limit=2&cursor=${first.nextCursor ?? ''}`, token);
    expect(second.status).toBe(200);
    const ids = conversationsPage.parse(second.body).items.map((c) => c.conversationId);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).not.toContain(first.items[0]?.conversationId);
  });

  const forged: readonly (readonly [string, Record<string, string>])[] = [
    ['another index partition', { pk: 'T#demo#C#abcdefgh', sk: 'META', gsi1pk: 'T#other#CONVS', gsi1sk: '2026-01-01T00:00:00.000Z#abcdefgh', t: 'demo' }],
    ['an empty table key', { pk: '', sk: 'META', gsi1pk: 'T#demo#CONVS', gsi1sk: '2026-01-01T00:00:00.000Z#abcdefgh', t: 'demo' }],
    ['an empty index sort key', { pk: 'T#demo#C#abcdefgh', sk: 'META', gsi1pk: 'T#demo#CONVS', gsi1sk: '', t: 'demo' }],
    ["another tenant's conversation", { pk: 'T#other#C#abcdefgh', sk: 'META', gsi1pk: 'T#demo#CONVS', gsi1sk: '2026-01-01T00:00:00.000Z#abcdefgh', t: 'demo' }],
  ];
  it.each(forged)('answers a cursor naming %s with a 400 naming the cursor', async (_what, value) => {
    const res = await api(cloud, 'GET', `/v1/admin/conversations?cursor=${cursorOf(value)}`, token);
    expect({ status: res.status, body: refusal.safeParse(res.body).success }).toEqual({ status: 400, body: true });
  });
});

describe('a list route given a page size it does not take', () => {
  const limitRefused = z.object({ error: z.object({ code: z.literal('bad_request'), message: z.string().startsWith('limit: '), field: z.literal('limit') }) });
  const lists = [
    '/v1/admin/follow-ups',
    '/v1/admin/outbox',
    '/v1/admin/conversations',
    '/v1/admin/audit',
    '/v1/admin/channel-outbox',
    '/v1/admin/webhooks/deliveries',
    '/v1/admin/analytics/gaps',
    '/v1/admin/availability',
  ];
  const cases = lists.flatMap((path) => ['-1', '0', 'abc', '1.5', '100000'].map((limit) => [path, limit] as const));
  it.each(cases)('GET %s?limit=%s is a 400 naming limit', async (path, limit) => {
    const res = await api(cloud, 'GET', `${path}?limit=${limit}`, token);
    expect({ status: res.status, refusal: limitRefused.safeParse(res.body).success }).toEqual({ status: 400, refusal: true });
  });

  it('GET /v1/admin/follow-ups keeps to the limit it is given, newest first', async () => {
    const at = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();
    for (const [i, minutes] of [30, 20, 10].entries()) {
      await handoffStore().putFollowUp('demo', { id: `hostile-fu-${i}-${randomBytes(3).toString('hex')}`, conversationId: `hostile-fu-conv-${i}`, status: 'open', reason: 'nobody_online', lang: 'en', createdAt: at(minutes) });
    }
    const page = z.object({ items: z.array(z.object({ id: z.string(), createdAt: z.string() })) });
    const all = page.parse((await api(cloud, 'GET', '/v1/admin/follow-ups', token)).body).items;
    expect(all.length).toBeGreaterThanOrEqual(3);
    const two = await api(cloud, 'GET', '/v1/admin/follow-ups?limit=2', token);
    expect(two.status).toBe(200);
    expect(page.parse(two.body).items).toEqual(all.slice(0, 2));
  });
});

const auditPage = z.object({ items: z.array(z.object({ auditId: z.string(), at: z.string() })), nextCursor: z.string().optional() });

describe('GET /v1/admin/audit with a cursor outside the dates asked for', () => {
  // A cursor kept while the dates were changed, or made up: the page goes on below it, within the dates.
  const today = new Date().toISOString().slice(0, 10);
  const auditCursor = (sk: string): string => cursorOf({ sk, t: 'demo' });

  it('starts at the top of the dates when the cursor is above them', async () => {
    // Two audited changes today (besides the sign-in).
    for (let i = 0; i < 2; i++) expect((await api(cloud, 'PUT', '/v1/admin/privacy', token, { retentionDays: null })).status).toBe(200);
    const res = await api(cloud, 'GET', `/v1/admin/audit?from=${today}&to=${today}&cursor=${auditCursor('2199-01-01T00:00:00.000Z#later')}`, token);
    expect(res.status).toBe(200);
    const whole = auditPage.parse((await api(cloud, 'GET', `/v1/admin/audit?from=${today}&to=${today}`, token)).body);
    expect(whole.items.length).toBeGreaterThan(0);
    expect(auditPage.parse(res.body).items).toEqual(whole.items);
  });

  it('is past the end when the cursor is below them', async () => {
    const res = await api(cloud, 'GET', `/v1/admin/audit?from=${today}&cursor=${auditCursor('2001-01-01T00:00:00.000Z#earlier')}`, token);
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { items: [] } });
  });

  it('pages a range with the cursors it hands out', async () => {
    const first = auditPage.parse((await api(cloud, 'GET', `/v1/admin/audit?from=${today}&to=${today}&limit=1`, token)).body);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = auditPage.parse((await api(cloud, 'GET', `/v1/admin/audit?from=${today}&to=${today}&limit=1&cursor=${first.nextCursor ?? ''}`, token)).body);
    expect(second.items).toHaveLength(1);
    expect(second.items[0]?.auditId).not.toBe(first.items[0]?.auditId);
  });
});

describe('a refusal names the field to blame', () => {
  const refused = (res: { status: number; body: unknown }) => ({ status: res.status, error: z.object({ error: z.object({ message: z.string(), field: z.string().optional() }) }).parse(res.body).error });

  it('names a field the body may not have, at the top or inside an object', async () => {
    expect(refused(await api(cloud, 'PUT', '/v1/admin/privacy', token, { retentionDays: null, retentionDayz: 30 }))).toEqual({
      status: 400,
      error: expect.objectContaining({ field: 'retentionDayz', message: expect.stringMatching(/^retentionDayz: is not a field/) }),
    });
    const booking = { serviceId: 'checkup-clean', staffId: 'niamh-gallagher', start: '2026-12-01T09:00:00Z', customer: { name: 'Ana', email: 'ana@example.com', phoneNumber: '+353 87 555 0100' } };
    expect(refused(await api(cloud, 'POST', '/v1/admin/bookings', token, booking))).toEqual({
      status: 400,
      error: expect.objectContaining({ field: 'customer.phoneNumber', message: expect.stringMatching(/^customer\.phoneNumber: is not a field of customer/) }),
    });
  });

  it.each([
    ['no body', undefined],
    ['an array', [{ retentionDays: 30 }]],
    ['a string', 'retentionDays=30'],
  ])('says the body must be a JSON object when it is %s', async (_what, body) => {
    const res = await api(cloud, 'PUT', '/v1/admin/privacy', token, body);
    expect(refused(res)).toEqual({ status: 400, error: expect.objectContaining({ message: 'the request body must be a JSON object' }) });
  });

  it('names a field a WebSocket frame may not have', async () => {
    const socket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, randomBytes(16).toString('hex')), new URL(cloud.urls.demoSite).origin);
    try {
      socket.send({ action: 'ping', conversationId: 'abcdefgh' });
      expect(await socket.next('error')).toEqual(expect.objectContaining({ code: 'bad_request', message: expect.stringMatching(/^conversationId: is not a field of the frame/) }));
    } finally {
      await socket.close();
    }
  });
});

describe('a staff reply is held to what a customer may send', () => {
  it('refuses a reply that shows nothing, and drops control characters from one that does', async () => {
    const { conversationId } = await store().startConversation('demo', `hostile-reply-${randomBytes(4).toString('hex')}`, 'es');
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, token)).status).toBe(200);
    const invisible = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, token, { text: '\u200B\u0000\u2060 ' });
    expect({ status: invisible.status, body: invisible.body }).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ field: 'text', message: 'text: must contain a letter, digit, punctuation or symbol' }) },
    });
    const sent = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, token, { text: ' Buenos días,\u0000 señora\u0007 ' });
    expect(sent.status).toBe(201);
    expect(sent.body).toEqual({ message: expect.objectContaining({ role: 'agent', text: 'Buenos días, señora' }) });
    const stored = (await store().listMessages('demo', conversationId, 0)).filter((m) => m.role === 'agent').map((m) => m.text);
    expect(stored).toEqual(['Buenos días, señora']);
  });
});

describe('a lone surrogate in a text field', () => {
  // JSON can spell half a surrogate pair ("\ud800"); it is not a character, and DynamoDB and JSON consumers downstream
  // would store or read it as something else. JSON.stringify sends it escaped, as a hostile client would.
  const invalid = (field: string) => ({ status: 400, body: { error: expect.objectContaining({ code: 'bad_request', field, message: `${field}: contains an invalid character` }) } });

  it('is refused in a staff reply and in a booking customer name, naming the field; nothing is stored', async () => {
    const { conversationId } = await store().startConversation('demo', `hostile-surrogate-${randomBytes(4).toString('hex')}`, 'en');
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/takeover`, token)).status).toBe(200);
    for (const text of ['Hello \ud800 there', 'lone low \udfff', 'reversed \udc00\ud800']) {
      const res = await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, token, { text });
      expect({ status: res.status, body: res.body }).toEqual(invalid('text'));
    }
    expect((await store().listMessages('demo', conversationId, 0)).filter((m) => m.role === 'agent')).toEqual([]);
    // A whole pair (an emoji) is a character like any other.
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${conversationId}/messages`, token, { text: 'Get well soon 🤒' })).status).toBe(201);

    const booking = { serviceId: 'checkup-clean', staffId: 'niamh-gallagher', start: `${futureWeekday(5)}T09:00:00Z`, customer: { name: 'Ana \udbff', email: 'ana@example.com' } };
    const res = await api(cloud, 'POST', '/v1/admin/bookings', token, booking);
    expect({ status: res.status, body: res.body }).toEqual(invalid('customer.name'));
  });

  it('is refused in a widget message with an error frame naming text; the message is not stored', async () => {
    const socket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, randomBytes(16).toString('hex')), new URL(cloud.urls.demoSite).origin);
    try {
      socket.send({ action: 'hello', lang: 'en' });
      const { conversationId } = await socket.next('session');
      socket.send({ action: 'sendMessage', clientId: 'surrogate-01', text: 'What time \ud83d do you open?' });
      expect(await socket.next('error')).toEqual({ type: 'error', code: 'bad_request', message: 'text: contains an invalid character', clientId: 'surrogate-01' });
      socket.send({ action: 'sendMessage', clientId: 'surrogate-02', text: 'What time do you open? 🙂' });
      expect(await socket.next('ack')).toEqual(expect.objectContaining({ clientId: 'surrogate-02' }));
      const customer = (await store().listMessages('demo', conversationId, 0)).filter((m) => m.role === 'customer').map((m) => m.text);
      expect(customer).toEqual(['What time do you open? 🙂']);
    } finally {
      await socket.close();
    }
  });
});

describe('a booking at a time that is not a bookable start', () => {
  it('says the time is off the grid of starts offered, not only that the business is closed', async () => {
    const date = futureWeekday(3);
    const slots = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', `/v1/admin/availability?serviceId=checkup-clean&date=${date}`, token)).body).slots;
    const first = slots[0];
    if (!first) throw new Error(`no free slot on ${date}`);
    const offGrid = new Date(Date.parse(first.start) + 7 * 60_000).toISOString();
    const res = await api(cloud, 'POST', '/v1/admin/bookings', token, { serviceId: 'checkup-clean', staffId: first.staffId, start: offGrid, customer: { name: 'Ana', email: 'ana@example.com' } });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ field: 'start', message: expect.stringContaining('not one of the starts GET /v1/admin/availability offers') }), problem: 'closed' },
    });
  });
});

describe('newConversation frames in a loop', () => {
  it('are limited like messages: the surplus is refused rate_limited and starts no conversation', async () => {
    const visitor = randomBytes(16).toString('hex');
    const socket = await connect(wsUrl(cloud.urls.ws, cloud.demo.widgetKey, visitor), new URL(cloud.urls.demoSite).origin);
    const FRAMES = 40;
    try {
      socket.send({ action: 'hello', lang: 'en' });
      await socket.next('session');
      for (let i = 0; i < FRAMES; i++) socket.send({ action: 'newConversation', lang: 'en' });
      // Every frame is answered: a session (a new conversation) or an error (a bounded wait, never a timing assertion).
      const answered = (): number => socket.frames.filter((f) => f.type === 'session' || f.type === 'error').length;
      for (let waited = 0; answered() < FRAMES + 1 && waited < 1200; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(answered()).toBe(FRAMES + 1);
    } finally {
      await socket.close();
    }
    const sessions = socket.frames.filter((f) => f.type === 'session').length;
    const refused = socket.frames.filter((f) => f.type === 'error' && f.code === 'rate_limited').length;
    expect(refused).toBeGreaterThan(0);
    // One conversation per session frame (the hello's included), none for a refusal.
    const all = conversationsPage.parse((await api(cloud, 'GET', '/v1/admin/conversations?limit=100', token)).body).items;
    const mine = await Promise.all(all.map(async (c) => (await store().getConversation('demo', c.conversationId))?.visitorId === visitor));
    expect(mine.filter(Boolean)).toHaveLength(sessions);
  });
});

describe('a cancellation reason', () => {
  it('is one line without control characters: anything else is refused naming the field, and the booking stays', async () => {
    const date = futureWeekday(4);
    const slots = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', `/v1/admin/availability?serviceId=emergency&date=${date}`, token)).body).slots;
    const slot = slots[slots.length - 1];
    if (!slot) throw new Error(`no free slot on ${date}`);
    const created = await api(cloud, 'POST', '/v1/admin/bookings', token, { serviceId: 'emergency', staffId: slot.staffId, start: slot.start, customer: { name: 'Luis', email: 'luis@example.com' } });
    expect(created.status).toBe(201);
    const { bookingId } = z.object({ booking: z.object({ bookingId: z.string() }) }).parse(created.body).booking;
    const refused = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, token, { reason: 'Customer called\u0000\r\nBcc: someone@example.com' });
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 400,
      body: { error: expect.objectContaining({ field: 'reason', message: 'reason: must be one line without control characters' }) },
    });
    const after = z.object({ booking: z.object({ status: z.string() }) }).parse((await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, token)).body);
    // Not cancelled (held, or confirmed by its workflow meanwhile).
    expect(['held', 'confirmed']).toContain(after.booking.status);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, token, { reason: 'Customer called — sick 🤒' })).status).toBe(200);
  });
});
