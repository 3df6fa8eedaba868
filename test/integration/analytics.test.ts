/**
 * Analytics through the whole local cloud (docs/metrics.md): a scripted set of conversations — web and WhatsApp
 * (a Twilio-signed webhook), a thumbs-up over the widget's `feedback` action, a handoff accepted by an agent and
 * closed with CSAT 5, a staff booking whose deposit is paid on the local checkout page (a Stripe-signed webhook),
 * a no-show, and one question nobody could answer asked in two conversations — then:
 * - `GET /v1/admin/analytics` equals numbers computed by hand below;
 * - replaying every event the projector received changes nothing;
 * - another tenant's report is empty, and the CSV export parses back to the same numbers;
 * - the knowledge gap is listed with count 2 and resolving it with an FAQ removes it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import twilio from 'twilio';
import { z } from 'zod';
import { analyticsStore, bookingStore, knowledgeStore } from '../../lambdas/adapters/container';
import { defaultBookingSettings } from '../../lambdas/core/booking/ports';
import { analyticsReportSchema, knowledgeGapListSchema, type AnalyticsReport } from '../../lambdas/core/analytics/contract';
import { dayIn } from '../../lambdas/core/analytics/projector';
import { addDays } from '../../lambdas/core/analytics/report';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase, type OpeningHours } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { twilioForm } from '../../local-cloud/channel-simulator';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, eventually, signIn } from '../support/staff';
import { widgetCustomer, type WidgetCustomer } from '../support/ws-client';

const PASSWORD = 'Analytics-Test-2026!';
const TENANT = 'ana-main';
const OTHER = 'ana-other';
const UNANSWERABLE = 'Do you repair bicycles on Sundays?';
const allWeek: OpeningHours[] = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, open: '00:00', close: '23:59' }));

let cloud: LocalCloud;
let origin: string;
let owner: string;
let otherOwner: string;
const widgetKeys: Record<string, string> = {};
/** Every event the bus delivered to the projector, for the replay. */
const projected: unknown[] = [];

async function tenant(tenantId: string): Promise<void> {
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  widgetKeys[tenantId] = newWidgetKey(tenantId);
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey: widgetKeys[tenantId] ?? '', allowedOrigins: [origin], kb: { ...demo, business: { ...demo.business, slug: tenantId }, hours: allWeek } });
}

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true, waitScale: 0.02 });
  origin = new URL(cloud.urls.demoSite).origin;
  const invoke = cloud.runtime.invoke.bind(cloud.runtime);
  cloud.runtime.invoke = async (fn, event) => {
    if (fn === 'statsProjector') projected.push(event);
    return invoke(fn, event);
  };
  await Promise.all([tenant(TENANT), tenant(OTHER)]);
  // A day to pay the deposit (the default 30 minutes is 36 s at this wait scale, too close on a loaded machine).
  await bookingStore().putBookingSettings(TENANT, { ...defaultBookingSettings, paymentTimeoutMinutes: 24 * 60 });
  await ensureStaff(cloud, [
    { email: `owner@${TENANT}.example`, password: PASSWORD, tenantId: TENANT, groups: ['admin', 'agent'] },
    { email: `owner@${OTHER}.example`, password: PASSWORD, tenantId: OTHER, groups: ['admin', 'agent'] },
  ]);
  [owner, otherOwner] = await Promise.all([signIn(cloud, `owner@${TENANT}.example`, PASSWORD), signIn(cloud, `owner@${OTHER}.example`, PASSWORD)]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
}, 60_000);

const clientId = (): string => randomBytes(9).toString('base64url');

const customer = (): Promise<WidgetCustomer> => widgetCustomer({ ws: cloud.urls.ws, widgetKey: widgetKeys[TENANT] ?? '', origin }, { lang: 'en' });

async function whatsapp(from: string, text: string): Promise<void> {
  const url = `${cloud.urls.rest}/v1/webhooks/twilio/${TENANT}`;
  const form = twilioForm('whatsapp', from, text);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(cloud.env['TWILIO_AUTH_TOKEN'] ?? '', url, form) },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
}

/** Yesterday and today in Dublin: the whole script falls in this range even when it runs across midnight. */
function range(): { from: string; to: string } {
  const today = dayIn('Europe/Dublin', new Date());
  return { from: addDays(today, -1), to: today };
}

async function report(token: string, query = range()): Promise<AnalyticsReport> {
  const res = await api(cloud, 'GET', `/v1/admin/analytics?from=${query.from}&to=${query.to}`, token);
  expect(res.status).toBe(200);
  return analyticsReportSchema.parse(res.body);
}

const bookingBody = z.object({ booking: z.object({ bookingId: z.string(), status: z.string(), start: z.string(), payment: z.object({ status: z.string() }) }) });

describe('analytics of a scripted day', () => {
  let before: AnalyticsReport;

  it('counts the script exactly as computed by hand', async () => {
    // A: a web question answered from the FAQ, then a thumbs-up (twice: the repeat changes nothing).
    const a = await customer();
    const parking = await a.ask('Is there parking?');
    expect(parking.sources?.map((s) => s.id)).toContain('parking');
    a.socket.send({ action: 'feedback', conversationId: a.conversationId, seq: parking.seq, helpful: true });
    a.socket.send({ action: 'feedback', conversationId: a.conversationId, seq: parking.seq, helpful: true });
    // Only the assistant's messages of the connection's own conversation take feedback.
    a.socket.send({ action: 'feedback', conversationId: a.conversationId, seq: parking.seq - 1, helpful: true });
    expect((await a.socket.next('error')).message).toMatch(/^seq/);
    a.socket.send({ action: 'feedback', conversationId: 'someone-elses-conversation', seq: parking.seq, helpful: true });
    expect((await a.socket.next('error', (e) => e.message.startsWith('conversationId'))).code).toBe('bad_request');

    // B and C: the same question nobody can answer, in two conversations.
    const b = await customer();
    const c = await customer();
    await b.ask(UNANSWERABLE);
    await c.ask(`  ${UNANSWERABLE.toLowerCase()}`);

    // D: a person, accepted, closed, CSAT 5.
    const d = await customer();
    await d.ask('I want to speak to a human');
    await d.socket.next('state', (s) => s.mode === 'waiting_for_human', 60_000);
    await eventually(async () => ((await api(cloud, 'POST', `/v1/admin/inbox/${d.conversationId}/accept`, owner)).status === 200 ? true : undefined), 'the agent to accept', 60_000);
    await d.socket.next('state', (s) => s.mode === 'human', 60_000);
    expect((await api(cloud, 'POST', `/v1/admin/inbox/${d.conversationId}/close`, owner)).status).toBe(200);
    await d.socket.next('message', (m) => m.role === 'system' && (m.quickReplies?.length ?? 0) === 5, 60_000);
    d.socket.send({ action: 'sendMessage', clientId: clientId(), text: '5' });
    await d.socket.next('message', (m) => m.role === 'system' && /thank you/i.test(m.text), 60_000);

    // A visitor who opens the chat (the widget's hello starts a conversation) and leaves without a word.
    const idle = await customer();

    // E: WhatsApp, answered from the same FAQ.
    await whatsapp(`+346${String(randomBytes(4).readUInt32BE() % 1e8).padStart(8, '0')}`, 'Do you have parking?');

    // A staff booking with a €50 deposit paid on the local checkout page; then it is moved into the past
    // (the clock cannot move mid-run) and marked a no-show — refused while it is still ahead.
    const slots = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/availability?serviceId=teeth-whitening&limit=1', owner)).body);
    const slot = slots.slots[0];
    if (!slot) throw new Error('no free slot');
    const created = bookingBody.parse(
      (await api(cloud, 'POST', '/v1/admin/bookings', owner, { serviceId: 'teeth-whitening', staffId: slot.staffId, start: slot.start, customer: { name: 'Ana Test', email: 'ana@example.com' } })).body,
    );
    const { bookingId } = created.booking;
    // The API never shows checkout internals: the link is read where the workflow stored it.
    const checkoutUrl = await eventually(async () => (await bookingStore().getBooking(TENANT, bookingId))?.payment.checkoutUrl, 'the checkout link', 60_000);
    expect((await fetch(`${checkoutUrl}/pay`, { method: 'POST', redirect: 'manual' })).status).toBeLessThan(400);
    await eventually(async () => (bookingBody.parse((await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, owner)).body).booking.status === 'confirmed' ? true : undefined), 'the booking confirmed', 60_000);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/no-show`, owner)).status).toBe(409);
    // The workflow may still be writing to the booking (its confirmation step bumps rev): re-read until the move lands.
    await eventually(
      async () => {
        const current = await bookingStore().getBooking(TENANT, bookingId);
        if (!current) throw new Error('booking gone');
        const past = new Date(Date.now() - 2 * 3600_000).toISOString();
        return (await bookingStore().updateBooking(current, { ...current, start: past, end: new Date(Date.now() - 3600_000).toISOString(), rev: current.rev + 1 })) ? true : undefined;
      },
      'the booking moved into the past',
      60_000,
    );
    const noShow = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/no-show`, owner);
    expect(noShow.status).toBe(200);
    expect(bookingBody.parse(noShow.body).booking.status).toBe('no_show');
    // Asked again by the same person (as when the first answer was lost): the same answer, and booking.noshow
    // published again under its idempotency key, which the report below counts once.
    const again = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/no-show`, owner);
    expect(again.status).toBe(200);
    expect(bookingBody.parse(again.body).booking.status).toBe('no_show');

    // A second staff booking, its €50 deposit paid, then cancelled by staff: the deposit goes back, so the business
    // did not keep it.
    const nextSlot = z.object({ slots: z.array(z.object({ start: z.string(), staffId: z.string() })) }).parse((await api(cloud, 'GET', '/v1/admin/availability?serviceId=teeth-whitening&limit=1', owner)).body).slots[0];
    if (!nextSlot) throw new Error('no second free slot');
    const second = bookingBody.parse(
      (await api(cloud, 'POST', '/v1/admin/bookings', owner, { serviceId: 'teeth-whitening', staffId: nextSlot.staffId, start: nextSlot.start, customer: { name: 'Bea Test', email: 'bea@example.com' } })).body,
    ).booking.bookingId;
    const secondCheckout = await eventually(async () => (await bookingStore().getBooking(TENANT, second))?.payment.checkoutUrl, 'the second checkout link', 60_000);
    expect((await fetch(`${secondCheckout}/pay`, { method: 'POST', redirect: 'manual' })).status).toBeLessThan(400);
    await eventually(async () => ((await bookingStore().getBooking(TENANT, second))?.status === 'confirmed' ? true : undefined), 'the second booking confirmed', 60_000);
    const cancelled = await api(cloud, 'POST', `/v1/admin/bookings/${second}/cancel`, owner, {});
    expect(cancelled.status).toBe(200);
    expect(z.object({ refunded: z.boolean() }).parse(cancelled.body).refunded).toBe(true);

    await cloud.settle();
    await Promise.all([a, b, c, d, idle].map((x) => x.socket.close()));
    // The repeated thumbs-up published nothing more.
    const feedback = projected.filter((e) => z.object({ 'detail-type': z.literal('message.feedback') }).safeParse(e).success);
    expect(feedback).toHaveLength(1);
    before = await report(owner);
    const t = before.totals;
    expect(t).toMatchObject({
      conversations: 5, // A B C D (web) + E (WhatsApp); not the chat opened without a message
      conversationsByChannel: { web: 4, whatsapp: 1 },
      messages: 6, // one question each, plus D's CSAT answer
      messagesByChannel: { web: 5, whatsapp: 1 },
      answered: 3, // A, E (parking) and D (the request for a person is answered by handing over)
      unanswered: 2, // B, C
      resolvedConfirmed: 1, // A by thumbs-up; D was handed to a person (its CSAT 5 rates the person, not the concierge)
      resolvedAssumed: 0, // nobody has been silent 24 h yet
      handoffs: 1,
      handoffReasons: { 'customer asked for a person': 1 },
      firstResponseCount: 5,
      responseCount: 5,
      humanAcceptCount: 1,
      csatSum: 5,
      csatCount: 1,
      bookingsMade: 2,
      bookingsCancelled: 1,
      bookingsNoShow: 1,
      depositsCents: 10000, // two deposits paid…
      depositsRefundedCents: 5000, // …and one given back when staff cancelled: €50 kept
    });
    expect(t.firstResponseMsSum).toBeGreaterThan(0);
    expect(before.rates).toMatchObject({ resolutionRate: 1 / 5, handoffRate: 1 / 5, csatAverage: 5 });
    expect(before.topQuestions[0]).toMatchObject({ sourceId: 'parking', count: 2 });
    expect(before.topQuestions[0]?.title).toMatch(/park/i);
    expect(before.days).toHaveLength(2);
  }, 180_000);

  it('does not change when every event is delivered again', async () => {
    expect(projected.length).toBeGreaterThan(20);
    for (const event of projected.splice(0)) await cloud.runtime.invoke('statsProjector', event);
    expect(await report(owner)).toEqual(before);
  }, 120_000);

  it("shows nothing of it in another tenant's report, and exports the same numbers as CSV", async () => {
    const other = await report(otherOwner);
    expect(other.totals.conversations).toBe(0);
    expect(other.totals.messages).toBe(0);
    expect(other.topQuestions).toEqual([]);

    const { from, to } = range();
    const csv = await fetch(`${cloud.urls.rest}/v1/admin/analytics/export?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${owner}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="analytics-${from}-${to}.csv"`);
    const [header, ...rows] = (await csv.text()).trimEnd().split('\r\n').map((line) => line.split(','));
    expect(rows.map((r) => r[0])).toEqual([from, to]);
    const column = (name: string): number => rows.reduce((sum, r) => sum + Number(r[(header ?? []).indexOf(name)]), 0);
    for (const name of ['conversations', 'messages', 'answered', 'unanswered', 'resolvedConfirmed', 'handoffs', 'csatSum', 'bookingsNoShow', 'depositsCents', 'depositsRefundedCents'] as const) {
      expect({ name, value: column(name) }).toEqual({ name, value: before.totals[name] });
    }
    expect(column('conversations_whatsapp')).toBe(1);
  });

  it('refuses bad ranges naming the field', async () => {
    const bad = z.object({ error: z.object({ field: z.string() }) });
    expect(bad.parse((await api(cloud, 'GET', '/v1/admin/analytics?from=2026-03-05&to=2026-03-01', owner)).body).error.field).toBe('from');
    expect(bad.parse((await api(cloud, 'GET', '/v1/admin/analytics?from=2025-01-01&to=2026-01-02', owner)).body).error.field).toBe('to');
    expect(bad.parse((await api(cloud, 'GET', '/v1/admin/analytics/export?from=yesterday&to=2026-01-02', owner)).body).error.field).toBe('from');
    expect(bad.parse((await api(cloud, 'GET', '/v1/admin/analytics?from=2026-01-02', owner)).body).error.field).toBe('to');
    // No range at all: the last 7 days, today included.
    expect(bad.parse((await api(cloud, 'GET', '/v1/admin/analytics?from=&to=', owner)).body).error.field).toBe('from');
    const fallback = analyticsReportSchema.parse((await api(cloud, 'GET', '/v1/admin/analytics', owner)).body);
    expect(fallback.days).toHaveLength(7);
    expect(fallback.to).toBe(range().to);
  });

  it('lists the unanswered question once with count 2, and resolving it with an FAQ removes it', async () => {
    const gaps = knowledgeGapListSchema.parse((await api(cloud, 'GET', '/v1/admin/analytics/gaps', owner)).body).items;
    expect(gaps).toHaveLength(1);
    const [gap] = gaps;
    expect(gap).toMatchObject({ question: UNANSWERABLE, count: 2, lang: 'en' });
    expect(gap?.conversationIds).toHaveLength(2);
    expect(knowledgeGapListSchema.parse((await api(cloud, 'GET', '/v1/admin/analytics/gaps', otherOwner)).body).items).toEqual([]);

    const path = `/v1/admin/analytics/gaps/${gap?.gapId ?? ''}/resolve`;
    expect((await api(cloud, 'POST', path, owner, { faqId: 'bicycle-repairs' })).status).toBe(404);
    expect((await api(cloud, 'POST', path, owner, { faqId: 'x', dismiss: true })).status).toBe(400);
    const faq = await api(cloud, 'PUT', '/v1/admin/knowledge/faqs/bicycle-repairs', owner, { question: 'Do you repair bicycles?', answer: 'No, we are a dental practice.', category: 'Other' });
    expect(faq.status).toBe(201);
    const resolved = await api(cloud, 'POST', path, owner, { faqId: 'bicycle-repairs' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toEqual({ gapId: gap?.gapId, status: 'resolved', faqId: 'bicycle-repairs' });
    expect((await api(cloud, 'POST', path, owner, { dismiss: true })).status).toBe(409);
    expect(knowledgeGapListSchema.parse((await api(cloud, 'GET', '/v1/admin/analytics/gaps', owner)).body).items).toEqual([]);

    // A customer's erasure (the privacy flow calls this): the gap forgets their conversation; with none left it goes.
    const [first, second] = gap?.conversationIds ?? [];
    expect(await analyticsStore().forgetConversations(TENANT, [first ?? ''])).toBe(1);
    expect((await analyticsStore().getGap(TENANT, gap?.gapId ?? ''))?.conversationIds).toEqual([second]);
    expect(await analyticsStore().forgetConversations(TENANT, [second ?? ''])).toBe(1);
    expect(await analyticsStore().getGap(TENANT, gap?.gapId ?? '')).toBeUndefined();
  });
});

describe('days the range cannot mean', () => {
  // Found by fuzzing: these were 500s (a RangeError counting or converting the days).
  it.each(['/v1/admin/analytics', '/v1/admin/analytics/export'])('%s refuses days that do not exist or are out of range, naming the field', async (path) => {
    for (const [query, field, message] of [
      ['from=2026-13-01&to=2026-13-05', 'from', /not a date/],
      ['from=0000-00-00&to=0000-00-01', 'from', /not a date/],
      ['from=9999-12-31&to=9999-12-31', 'from', /out of range/],
      ['from=2026-03-01&to=2026-02-30', 'to', /not a date/],
      ['from=2026-03-05&to=2026-03-01', 'from', /must not be after to/],
    ] as const) {
      const res = await api(cloud, 'GET', `${path}?${query}`, owner);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      const error = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string() }) }).parse(res.body).error;
      expect(error).toMatchObject({ code: 'bad_request', field });
      expect(error.message).toMatch(message);
    }
  });

  it('reports valid edge days: a leap day, and the first and last days of the accepted years', async () => {
    for (const query of [{ from: '2028-02-28', to: '2028-03-01' }, { from: '2000-01-01', to: '2000-01-01' }, { from: '2199-12-31', to: '2199-12-31' }]) {
      const got = await report(owner, query);
      expect(got.days.map((d) => d.day)).toEqual(query.from === '2028-02-28' ? ['2028-02-28', '2028-02-29', '2028-03-01'] : [query.from]);
      expect(got.totals.conversations).toBe(0);
    }
    const csv = await api(cloud, 'GET', '/v1/admin/analytics/export?from=2199-12-31&to=2199-12-31', owner);
    expect(csv.status).toBe(200);
  });

  it('never sends DynamoDB reversed bounds, whatever range reaches the store', async () => {
    await expect(analyticsStore().listDays(TENANT, '2026-03-05', '2026-03-01')).resolves.toEqual(new Map());
    await expect(analyticsStore().listConversationFacts(TENANT, '2026-03-05T00:00:00.000Z', '2026-03-01T00:00:00.000Z')).resolves.toEqual([]);
    await expect(analyticsStore().listConversationFacts(TENANT, '9999-12-31T00:00:00.000Z', '+010000-01-01T00:00:00.000Z')).resolves.toEqual([]);
  });
});
