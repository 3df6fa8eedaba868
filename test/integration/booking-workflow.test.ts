/**
 * The booking workflow through the local cloud: the real ASL (state-machines/booking.asl.json) on
 * aws-local-stepfunctions, the real workflowTask and bookingEvents handlers behind the local bus,
 * DynamoDB Local for bookings and slot locks, the local payments adapter and the built-in calendar.
 * Waits are shortened only by configuration (`waitScale`; per-tenant payment timeout and reminder).
 *
 * - no deposit → confirmed (cells permanent) → calendar event → confirmation in the conversation →
 *   staff e-mail in the outbox → reminder before the start;
 * - deposit → checkout link → `payment.succeeded` on the bus → confirmed; replayed payment events
 *   change nothing and send nothing twice;
 * - deposit never paid → expired, cells released, the customer told (in Spanish), no handoff; the
 *   payment arriving after that is refunded and the customer told;
 * - a failing step (the hold ran out and someone else took the time; a booking deleted under the
 *   workflow) → compensation → failed, cells released, `booking.failed` + `handoff.requested`;
 * - a booking without a conversation whose customer gave only a phone (a staff booking): the
 *   confirmation, the reminder, the payment link and the release are texted (the channel outbox);
 * - a booking rescheduled before its deposit was paid: the old link stops taking payment; a payment made
 *   on it anyway confirms the new booking (nothing refunded), or, the new one paid already, is refunded
 *   and the customer told why (docs/decisions.md 98).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import aslValidator from 'asl-validator';
import { stateMachines } from '../../lib/declaration';
import { documentClient } from '../../lambdas/adapters/aws/clients';
import { bookingDeps, bookingStore, channelStore, handoffStore, knowledgeStore, store } from '../../lambdas/adapters/container';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { cellsFor, defaultBookingSettings, type Booking, type BookingSettings, type SlotCell } from '../../lambdas/core/booking/ports';
import { bookSlot, findSlots, rescheduleBooking } from '../../lambdas/core/booking/service';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase, type OpeningHours } from '../../lambdas/core/knowledge-base';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import type { PutEventsEntry } from '../../local-cloud/event-bus';
import { eventually } from '../support/staff';
import { widgetCustomer, type WidgetCustomer } from '../support/ws-client';

/** Cap of each wait for the workflow to get somewhere: generous, a loaded CI machine runs it many times slower. */
const STEP_MS = 90_000;
// Several such waits per test, after a cold start of the handlers.
jest.setTimeout(300_000);

/** Every Wait runs 200 times faster: a 1-minute payment timeout takes 0.3 s, a reminder 5 minutes ahead 1.5 s. */
const WAIT_SCALE = 0.005;
const ROOT = join(__dirname, '..', '..');
const CELL_MS = 15 * 60_000;

let cloud: LocalCloud;
let origin: string;
const widgetKeys: Record<string, string> = {};
/** Every entry put on the bus (by any handler), in order. */
const busEntries: PutEventsEntry[] = [];

const allWeek: OpeningHours[] = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, open: '00:00', close: '23:59' }));
const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(ROOT, 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));

async function tenant(tenantId: string, settings: Partial<BookingSettings>): Promise<void> {
  const kb: KnowledgeBase = { ...demo, business: { ...demo.business, slug: tenantId }, hours: allWeek };
  widgetKeys[tenantId] = newWidgetKey(tenantId);
  await provisionTenant(knowledgeStore(), { tenantId, widgetKey: widgetKeys[tenantId] ?? '', allowedOrigins: [origin], kb });
  await bookingStore().putBookingSettings(tenantId, { ...defaultBookingSettings, minNoticeMinutes: 0, ...settings });
}

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true, waitScale: WAIT_SCALE });
  origin = new URL(cloud.urls.demoSite).origin;
  const putEvents = cloud.bus.putEvents.bind(cloud.bus);
  jest.spyOn(cloud.bus, 'putEvents').mockImplementation((entries) => {
    busEntries.push(...entries);
    return putEvents(entries);
  });
  await Promise.all([
    tenant('bkw-free', { reminderHoursBefore: 24 }),
    tenant('bkw-paid', { reminderHoursBefore: 0, paymentTimeoutMinutes: 24 * 60 }),
    tenant('bkw-expire', { reminderHoursBefore: 0, paymentTimeoutMinutes: 1 }),
    tenant('bkw-fail', { reminderHoursBefore: 0 }),
    tenant('bkw-moved', { reminderHoursBefore: 0, paymentTimeoutMinutes: 24 * 60 }),
  ]);
}, 240_000);

afterAll(async () => {
  await cloud?.stop();
});

// ---- helpers -------------------------------------------------------------------------------------


const customerSocket = (tenantId: string, lang: string): Promise<WidgetCustomer> => widgetCustomer({ ws: cloud.urls.ws, widgetKey: widgetKeys[tenantId] ?? '', origin }, { lang });

async function conversation(tenantId: string, lang: string): Promise<string> {
  return (await store().startConversation(tenantId, `visitor-${randomBytes(8).toString('hex')}`, lang)).conversationId;
}

async function botMessages(tenantId: string, conversationId: string): Promise<string[]> {
  return (await store().listMessages(tenantId, conversationId, 0, 200)).filter((m) => m.role === 'bot').map((m) => m.text);
}

/** The first cell boundary at least `ms` from now (UTC ISO, as the store keys want it). */
const boundaryAfter = (ms: number): string => new Date(Math.ceil((Date.now() + ms) / CELL_MS) * CELL_MS).toISOString();

/**
 * Holds a booking the way service.bookSlot does (status held, cells locked, rev 1) and publishes
 * `booking.requested` on the local bus, so tests choose the exact start (reminder timing) and hold expiry.
 */
async function holdAndRequest(input: {
  tenantId: string;
  serviceId: string;
  staffId: string;
  start: string;
  lang: string;
  conversationId?: string;
  holdExpiresAt?: string;
  publish?: boolean;
  customer?: Booking['customer'];
}): Promise<Booking> {
  const service = demo.services.find((s) => s.id === input.serviceId);
  if (!service) throw new Error(`no service ${input.serviceId}`);
  const now = new Date().toISOString();
  const booking: Booking = {
    tenantId: input.tenantId,
    bookingId: `bk${randomBytes(9).toString('base64url')}`,
    serviceId: service.id,
    staffId: input.staffId,
    start: input.start,
    end: new Date(Date.parse(input.start) + service.durationMinutes * 60_000).toISOString(),
    customer: input.customer ?? { name: 'Aoife Byrne', phone: '+353871234567', email: 'aoife@example.com' },
    customerKey: `phone:${input.customer?.phone ?? '+353871234567'}`,
    status: 'held',
    priceCents: service.priceCents,
    depositCents: service.depositCents,
    currency: service.currency,
    payment: { status: service.depositCents > 0 ? 'pending' : 'none' },
    cells: cellsFor(input.staffId, input.start, service.durationMinutes),
    holdExpiresAt: input.holdExpiresAt ?? new Date(Date.now() + 10 * 60_000).toISOString(),
    ...(input.conversationId ? { conversationId: input.conversationId } : {}),
    channel: 'web',
    lang: input.lang,
    source: 'concierge',
    createdAt: now,
    updatedAt: now,
    rev: 1,
  };
  const held = await bookingStore().hold(booking);
  expect(held.ok).toBe(true);
  if (input.publish !== false) publish('booking.requested', { tenantId: booking.tenantId, bookingId: booking.bookingId });
  return booking;
}

function publish(type: string, detail: Record<string, unknown>): void {
  const out = cloud.bus.putEvents([{ Source: 'concierge', DetailType: type, Detail: JSON.stringify(detail), EventBusName: cloud.env['EVENT_BUS_NAME'] ?? '' }]);
  expect(out.FailedEntryCount).toBe(0);
}

/** Details of the events of this type put on the bus so far, for one booking or conversation. */
function published(type: string, match: Record<string, string>): Record<string, unknown>[] {
  return busEntries
    .filter((e) => e.DetailType === type)
    .map((e) => JSON.parse(e.Detail ?? '{}') as Record<string, unknown>)
    .filter((d) => Object.entries(match).every(([k, v]) => d[k] === v));
}

/** The matching events once at least one has been published (the workflow publishes right after it writes). */
async function publishedSoon(type: string, match: Record<string, string>, timeoutMs = STEP_MS): Promise<Record<string, unknown>[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = published(type, match);
    if (found.length > 0 || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function bookingNow(b: Pick<Booking, 'tenantId' | 'bookingId'>): Promise<Booking> {
  const found = await bookingStore().getBooking(b.tenantId, b.bookingId);
  if (!found) throw new Error(`booking ${b.bookingId} is gone`);
  return found;
}

const executionOf = (bookingId: string) => cloud.workflows.listExecutions().find((e) => e.stateMachine === 'booking' && e.input.includes(bookingId));

async function finished(bookingId: string, timeoutMs = STEP_MS) {
  return eventually(async () => {
    const e = executionOf(bookingId);
    return e && e.status !== 'RUNNING' ? e : undefined;
  }, `the workflow of ${bookingId} to end`, timeoutMs);
}

async function busy(tenantId: string, cells: readonly SlotCell[]): Promise<SlotCell[]> {
  const from = cells[0]?.start ?? '';
  const to = new Date(Date.parse(cells[cells.length - 1]?.start ?? '') + CELL_MS).toISOString();
  return bookingStore().busyCells(tenantId, [...new Set(cells.map((c) => c.staffId))], from, to, new Date());
}

async function lockOwner(tenantId: string, cell: SlotCell): Promise<unknown> {
  const out = await documentClient(cloud.urls.dynamodb).send(new GetCommand({ TableName: cloud.tableName, Key: keys.cell(tenantId, cell.staffId, cell.start), ConsistentRead: true }));
  return out.Item?.['bookingId'];
}

// ---- the definition ----------------------------------------------------------------------------------

describe('booking.asl.json', () => {
  it('is valid ASL (asl-validator) and every ${…} placeholder has a declared substitution', () => {
    const decl = stateMachines.booking;
    const text = readFileSync(join(ROOT, decl.file), 'utf8');
    const placeholders = [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''))].sort();
    const declared = [...Object.keys(decl.functionSubstitutions), ...Object.keys(decl.valueSubstitutions)].sort();
    expect(placeholders).toEqual(declared);
    let substituted = text;
    for (const key of Object.keys(decl.functionSubstitutions)) substituted = substituted.replaceAll(`\${${key}}`, 'arn:aws:lambda:us-east-1:123456789012:function:concierge-workflowTask');
    const result = aslValidator(JSON.parse(substituted));
    expect({ valid: result.isValid, errors: result.errorsText('\n') }).toEqual({ valid: true, errors: expect.any(String) });
    // The local runner runs exactly this file.
    expect(cloud.workflows.definitions()['booking']?.StartAt).toBe('HoldSlot');
  });
});

// ---- no deposit ----------------------------------------------------------------------------------------

describe('booking without a deposit', () => {
  it('confirms, adds it to the calendar, tells the customer and the staff, and reminds before the start', async () => {
    const tenantId = 'bkw-free';
    const { socket, conversationId } = await customerSocket(tenantId, 'en');
    // The reminder (24 h before) falls 5-20 minutes from now: 1.5-6 s at this wait scale.
    const start = boundaryAfter(24 * 3_600_000 + 5 * 60_000);
    const booking = await holdAndRequest({ tenantId, serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, lang: 'en', conversationId });

    const confirmed = await socket.next('message', (m) => m.role === 'bot' && m.text.includes('confirmed'), STEP_MS);
    const local = new Intl.DateTimeFormat('en-IE', { timeZone: 'Europe/Dublin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(start));
    expect(confirmed.text).toContain('Check-up & clean with Marta Ruiz');
    expect(confirmed.text).toContain(`at ${local}`); // the business's wall clock, not UTC
    expect(confirmed.text).toContain('€80.00');
    expect(confirmed.text).toContain('at least 24 hours before');
    expect(confirmed.text).not.toMatch(/deposit/i);

    const stored = await bookingNow(booking);
    expect(stored).toMatchObject({ status: 'confirmed', calendarEventId: `builtin:${booking.bookingId}`, executionId: executionOf(booking.bookingId)?.executionArn });
    expect(stored.holdExpiresAt).toBeUndefined();
    // Confirmed cells are busy for good (no expiry).
    expect(await busy(tenantId, booking.cells)).toEqual(booking.cells);
    const lock = await documentClient(cloud.urls.dynamodb).send(new GetCommand({ TableName: cloud.tableName, Key: keys.cell(tenantId, 'marta-ruiz', start) }));
    expect(lock.Item).toMatchObject({ bookingId: booking.bookingId, state: 'confirmed' });
    expect(lock.Item?.['expiresAt']).toBeUndefined();

    // The staff e-mail is sent after the confirmation reaches the customer (same step): wait for it.
    const notice = await eventually(async () => (await handoffStore().listOutbox(tenantId, 50)).find((e) => e.kind === 'booking.confirmed' && e.bookingId === booking.bookingId), 'the staff notice in the outbox', STEP_MS);
    expect(notice?.to).toContain(demo.business.email);
    expect(notice?.text).toContain('Aoife Byrne');
    expect(notice?.text).toContain('Check-up & clean');
    expect(await publishedSoon('booking.confirmed', { bookingId: booking.bookingId })).toEqual([expect.objectContaining({ tenantId, start, staffId: 'marta-ruiz', conversationId })]);

    const reminder = await socket.next('message', (m) => m.role === 'bot' && m.text.startsWith('Reminder'), STEP_MS);
    expect(reminder.text).toContain(`at ${local}`);
    const done = await finished(booking.bookingId);
    expect(done.status).toBe('SUCCEEDED');
    expect(await publishedSoon('booking.reminded', { bookingId: booking.bookingId })).toHaveLength(1);
    // The customer gave an e-mail address: the reminder goes there too.
    expect((await handoffStore().listOutbox(tenantId, 50)).filter((e) => e.kind === 'booking.reminder' && e.bookingId === booking.bookingId).map((e) => e.to)).toEqual([['aoife@example.com']]);
    await socket.close();
  });

  it('a replayed booking.requested starts a second execution that changes and sends nothing', async () => {
    const tenantId = 'bkw-paid'; // no reminder: the first execution ends after the confirmation
    const conversationId = await conversation(tenantId, 'en');
    const booking = await holdAndRequest({ tenantId, serviceId: 'checkup-clean', staffId: 'niamh-gallagher', start: boundaryAfter(3 * 24 * 3_600_000), lang: 'en', conversationId });
    await finished(booking.bookingId);
    const before = await bookingNow(booking);
    expect(before.status).toBe('confirmed');

    publish('booking.requested', { tenantId, bookingId: booking.bookingId });
    const second = await eventually(async () => {
      const runs = cloud.workflows.listExecutions().filter((e) => e.stateMachine === 'booking' && e.input.includes(booking.bookingId));
      return runs.length === 2 && runs.every((r) => r.status !== 'RUNNING') ? runs[1] : undefined;
    }, 'the replayed execution to end', STEP_MS);
    expect(second?.status).toBe('SUCCEEDED');
    expect(await bookingNow(booking)).toEqual(before);
    expect((await botMessages(tenantId, conversationId)).filter((t) => t.includes('confirmed'))).toHaveLength(1);
    expect(await publishedSoon('booking.confirmed', { bookingId: booking.bookingId })).toHaveLength(1);
  });
});

// ---- deposits ----------------------------------------------------------------------------------------

describe('booking with a deposit', () => {
  it('sends the checkout link, waits for the payment event, confirms; replayed payment events change and send nothing', async () => {
    const tenantId = 'bkw-paid';
    const conversationId = await conversation(tenantId, 'en');
    const deps = bookingDeps();
    const found = await findSlots(deps, tenantId, { serviceId: 'teeth-whitening', limit: 1 });
    const slot = found.slots[0];
    if (!slot) throw new Error(`no slot: ${found.problem ?? 'none'}`);
    const booked = await bookSlot(deps, {
      tenantId,
      slot,
      customer: { name: 'Aoife Byrne', email: 'aoife@example.com' },
      conversationId,
      channel: 'web',
      lang: 'en',
      source: 'concierge',
    });
    if (!booked.ok) throw new Error(`not booked: ${booked.reason}`);
    const { booking } = booked;

    const link = await eventually(async () => (await botMessages(tenantId, conversationId)).find((t) => t.includes('deposit here')), 'the checkout link', STEP_MS);
    const awaiting = await bookingNow(booking);
    expect(awaiting.status).toBe('awaiting_payment');
    expect(awaiting.payment).toMatchObject({ status: 'pending', provider: 'local', checkoutId: expect.any(String), checkoutUrl: expect.stringMatching(/^http/) });
    expect(link).toContain(awaiting.payment.checkoutUrl);
    expect(link).toContain('€50.00');
    expect(link).toContain('for 24 hours'); // the tenant's payment timeout, in words
    // The hold now outlives the payment timeout.
    expect(Date.parse(awaiting.holdExpiresAt ?? '')).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    await eventually(
      async () => (cloud.workflows.listPendingTasks().some((t) => t.stateName === 'AwaitPayment' && t.executionArn === executionOf(booking.bookingId)?.executionArn) ? true : undefined),
      'the workflow to wait for the payment',
      STEP_MS,
    );

    const payment = { tenantId, bookingId: booking.bookingId, paymentId: 'pi_test_paid_1', amountCents: 5000, eventId: 'evt_paid_1' };
    publish('payment.succeeded', payment);
    const done = await finished(booking.bookingId);
    expect(done.status).toBe('SUCCEEDED');
    const confirmed = await bookingNow(booking);
    expect(confirmed).toMatchObject({ status: 'confirmed', payment: { status: 'paid', paymentId: 'pi_test_paid_1' } });
    const messages = await botMessages(tenantId, conversationId);
    const confirmation = messages.filter((t) => t.includes('confirmed'));
    expect(confirmation).toHaveLength(1);
    expect(confirmation[0]).toContain("We've received your €50.00 deposit");
    expect(confirmation[0]).toContain('we refund the deposit');

    // Stripe (and EventBridge) may deliver again: nothing changes, nothing is sent twice.
    publish('payment.succeeded', payment);
    publish('payment.succeeded', { ...payment, eventId: 'evt_paid_1_again' });
    await cloud.settle();
    expect(await bookingNow(booking)).toEqual(confirmed);
    expect(await botMessages(tenantId, conversationId)).toEqual(messages);
    expect(await publishedSoon('booking.confirmed', { bookingId: booking.bookingId })).toHaveLength(1);
    expect(cloud.workflows.listExecutions().filter((e) => e.input.includes(booking.bookingId))).toHaveLength(1);
    expect(cloud.runtime.invocations.filter((i) => i.fn === 'bookingEvents' && i.error)).toEqual([]);
  });

  it('a deposit never paid expires the hold: cells released, the customer told in Spanish, no handoff; a late payment is refunded', async () => {
    const tenantId = 'bkw-expire';
    const conversationId = await conversation(tenantId, 'es');
    const booking = await holdAndRequest({ tenantId, serviceId: 'aligner-consultation', staffId: 'niamh-gallagher', start: boundaryAfter(2 * 24 * 3_600_000), lang: 'es', conversationId, publish: false });
    // The hold locks the cells (checked before the workflow starts: its 0.3 s payment timeout could release them first).
    expect(await busy(tenantId, booking.cells)).toEqual(booking.cells);
    publish('booking.requested', { tenantId, bookingId: booking.bookingId });

    // Payment timeout 1 minute: 0.3 s at this scale.
    const done = await finished(booking.bookingId);
    expect(done.status).toBe('SUCCEEDED');
    const expired = await bookingNow(booking);
    expect(expired).toMatchObject({ status: 'expired', statusReason: 'deposit not paid within 1 minute', payment: { status: 'failed' } });
    expect(await busy(tenantId, booking.cells)).toEqual([]);
    for (const cell of booking.cells) expect(await lockOwner(tenantId, cell)).toBeUndefined();

    const texts = await botMessages(tenantId, conversationId);
    expect(texts.find((t) => t.startsWith('Para confirmar'))).toContain('25,00\u00a0€'); // es-ES puts a no-break space before the sign
    const told = texts.find((t) => t.startsWith('No hemos recibido la señal'));
    expect(told).toContain('en 1 minuto,');
    expect(told).toContain('Consulta de alineadores invisibles (Invisalign) con Dr Niamh Gallagher'); // the service's Spanish name
    expect(await publishedSoon('booking.failed', { bookingId: booking.bookingId })).toEqual([expect.objectContaining({ status: 'expired' })]);
    expect(published('handoff.requested', { conversationId })).toEqual([]);

    // The customer pays anyway, after the time was released: refunded in full, and told.
    publish('payment.succeeded', { tenantId, bookingId: booking.bookingId, paymentId: 'pi_test_late_1', amountCents: 2500, eventId: 'evt_late_1' });
    const refunded = await eventually(async () => {
      const b = await bookingNow(booking);
      return b.payment.status === 'refunded' ? b : undefined;
    }, 'the late payment to be refunded', STEP_MS);
    expect(refunded).toMatchObject({ status: 'expired', payment: { status: 'refunded', paymentId: 'pi_test_late_1', refundedAt: expect.any(String) } });
    const refund = await documentClient(cloud.urls.dynamodb).send(new GetCommand({ TableName: cloud.tableName, Key: keys.localRefund(tenantId, booking.bookingId), ConsistentRead: true }));
    expect(refund.Item).toMatchObject({ paymentId: 'pi_test_late_1', amountCents: 2500 });
    await eventually(async () => ((await botMessages(tenantId, conversationId)).some((t) => t.includes('se lo hemos devuelto íntegro')) ? true : undefined), 'the customer to be told', STEP_MS);
    // The staff read the service as the business names it, not in the customer's language.
    const staffNotice = await eventually(async () => (await handoffStore().listOutbox(tenantId, 50)).find((e) => e.kind === 'booking.late_payment' && e.bookingId === booking.bookingId), 'the staff notice', STEP_MS);
    expect(staffNotice.text).toContain('Service: Clear aligner (Invisalign) consultation');
    // The money that came back is published, so the analytics do not count it as collected.
    expect(await publishedSoon('payment.refunded', { bookingId: booking.bookingId })).toEqual([
      expect.objectContaining({ paymentId: 'pi_test_late_1', amountCents: 2500, currency: 'EUR', reason: 'late_payment', idempotencyKey: `payment.refunded:${booking.bookingId}` }),
    ]);
    // A replay refunds nothing more and says nothing more.
    publish('payment.succeeded', { tenantId, bookingId: booking.bookingId, paymentId: 'pi_test_late_1', amountCents: 2500, eventId: 'evt_late_1' });
    await cloud.settle();
    expect((await botMessages(tenantId, conversationId)).filter((t) => t.includes('devuelto'))).toHaveLength(1);
    expect(await bookingNow(booking)).toEqual(refunded);
  });
});

describe('booking with a deposit, when things go wrong on the way', () => {
  it('a booking without a conversation (a staff booking) e-mails the payment link to the customer, and confirms once paid', async () => {
    const tenantId = 'bkw-paid';
    const booking = await holdAndRequest({ tenantId, serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: boundaryAfter(8 * 24 * 3_600_000), lang: 'en' });
    const email = await eventually(
      async () => (await handoffStore().listOutbox(tenantId, 100)).find((e) => e.bookingId === booking.bookingId && e.to.includes('aoife@example.com')),
      'the payment link e-mailed to the customer',
      STEP_MS,
    );
    const awaiting = await bookingNow(booking);
    expect(awaiting.status).toBe('awaiting_payment');
    expect(email.text).toContain(awaiting.payment.checkoutUrl);
    expect(email.text).toContain('€50.00');
    expect(email.text).toContain('for 24 hours');

    await eventually(async () => ((await bookingStore().getPaymentToken(tenantId, booking.bookingId)) ? true : undefined), 'the workflow to wait for the payment', STEP_MS);
    publish('payment.succeeded', { tenantId, bookingId: booking.bookingId, paymentId: 'pi_test_staff_1', amountCents: 5000, eventId: 'evt_staff_1' });
    expect((await finished(booking.bookingId)).status).toBe('SUCCEEDED');
    expect(await bookingNow(booking)).toMatchObject({ status: 'confirmed', payment: { status: 'paid' } });
  });

  it('a payment wait that fails once (a throttled token write) is retried: the booking still confirms when paid', async () => {
    const tenantId = 'bkw-paid';
    const conversationId = await conversation(tenantId, 'en');
    const booking = await holdAndRequest({ tenantId, serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: boundaryAfter(9 * 24 * 3_600_000), lang: 'en', conversationId, publish: false });
    // The handlers run in this process on the same container: the AwaitPayment step's store is this one.
    const bookings = bookingStore();
    const putToken = bookings.putPaymentToken.bind(bookings);
    let throttled = 0;
    const spy = jest.spyOn(bookings, 'putPaymentToken').mockImplementation(async (t, bookingId, token) => {
      if (bookingId === booking.bookingId && throttled === 0) {
        throttled += 1;
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
      }
      return putToken(t, bookingId, token);
    });
    try {
      publish('booking.requested', { tenantId, bookingId: booking.bookingId });
      const state = await eventually(async () => {
        if (await bookings.getPaymentToken(tenantId, booking.bookingId)) return 'waiting';
        const run = executionOf(booking.bookingId);
        return run && run.status !== 'RUNNING' ? `ended ${run.status}` : undefined;
      }, 'the payment wait to be retried', STEP_MS);
      expect({ state, throttled }).toEqual({ state: 'waiting', throttled: 1 });
    } finally {
      spy.mockRestore();
    }
    publish('payment.succeeded', { tenantId, bookingId: booking.bookingId, paymentId: 'pi_test_retry_1', amountCents: 5000, eventId: 'evt_retry_1' });
    expect((await finished(booking.bookingId)).status).toBe('SUCCEEDED');
    expect(await bookingNow(booking)).toMatchObject({ status: 'confirmed', payment: { status: 'paid', paymentId: 'pi_test_retry_1' } });
    expect(published('booking.failed', { bookingId: booking.bookingId })).toEqual([]);
  });

  it("waits for the checkout's own expiry when the provider moved it (Stripe: at least 30 minutes), and says so", async () => {
    const tenantId = 'bkw-expire'; // payment timeout 1 minute
    const conversationId = await conversation(tenantId, 'en');
    const booking = await holdAndRequest({ tenantId, serviceId: 'aligner-consultation', staffId: 'niamh-gallagher', start: boundaryAfter(3 * 24 * 3_600_000), lang: 'en', conversationId, publish: false });
    // Stands for Stripe, which keeps a session open for at least 30 minutes: 31 minutes is 9.3 s at this wait scale.
    const payments = bookingDeps().payments;
    const create = payments.createCheckout.bind(payments);
    const spy = jest.spyOn(payments, 'createCheckout').mockImplementation(async (request) => {
      const out = await create(request);
      return request.bookingId === booking.bookingId ? { ...out, expiresAt: new Date(Date.parse(request.expiresAt) + 30 * 60_000).toISOString() } : out;
    });
    try {
      publish('booking.requested', { tenantId, bookingId: booking.bookingId });
      const link = await eventually(async () => (await botMessages(tenantId, conversationId)).find((t) => t.includes('deposit here')), 'the checkout link', STEP_MS);
      expect(link).toContain('for 31 minutes');
      const awaiting = await bookingNow(booking);
      expect(Date.parse(awaiting.holdExpiresAt ?? '')).toBeGreaterThan(Date.now() + 30 * 60_000);
    } finally {
      spy.mockRestore();
    }
    const done = await finished(booking.bookingId);
    expect(done.status).toBe('SUCCEEDED');
    expect(await bookingNow(booking)).toMatchObject({ status: 'expired', statusReason: 'deposit not paid within 31 minutes' });
    expect((await botMessages(tenantId, conversationId)).find((t) => t.startsWith("The deposit wasn't paid"))).toContain('within 31 minutes');
  });
});

// ---- a booking moved before its deposit was paid ---------------------------------------------------------

describe('a booking rescheduled before its deposit was paid (decision 98)', () => {
  const tenantId = 'bkw-moved';
  /** A day `n` days from now, as the business writes it (the tests book far enough ahead that the zone does not matter). */
  const day = (n: number): string => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

  const waitingForPayment = (bookingId: string) =>
    eventually(
      async () => (cloud.workflows.listPendingTasks().some((t) => t.stateName === 'AwaitPayment' && t.executionArn === executionOf(bookingId)?.executionArn) ? true : undefined),
      `the workflow of ${bookingId} to wait for the payment`,
      STEP_MS,
    );

  /** The customer books whitening (a €50 deposit) in the chat, does not pay, and moves it to the next day; both workflows wait for their payment. */
  async function bookAndMove(conversationId: string, days: number): Promise<{ old: Booking; moved: Booking }> {
    const deps = bookingDeps();
    const first = (await findSlots(deps, tenantId, { serviceId: 'teeth-whitening', date: day(days), limit: 1 })).slots[0];
    if (!first) throw new Error('no slot');
    const booked = await bookSlot(deps, { tenantId, slot: first, customer: { name: 'Carla Diaz', email: 'carla.diaz@example.com' }, conversationId, channel: 'web', lang: 'en', source: 'concierge' });
    if (!booked.ok) throw new Error(`not booked: ${booked.reason}`);
    await waitingForPayment(booked.booking.bookingId);
    const old = await bookingNow(booked.booking);
    expect(old.status).toBe('awaiting_payment');
    expect((await botMessages(tenantId, conversationId)).some((t) => t.includes(old.payment.checkoutUrl ?? '-'))).toBe(true);

    const later = (await findSlots(deps, tenantId, { serviceId: 'teeth-whitening', date: day(days + 1), limit: 1 })).slots[0];
    if (!later) throw new Error('no slot');
    const out = await rescheduleBooking(deps, { tenantId, bookingId: old.bookingId, slot: later, actor: 'customer' });
    if (!out.ok) throw new Error(`not moved: ${out.reason}`);
    await waitingForPayment(out.booking.bookingId);
    const moved = await bookingNow(out.booking);
    expect(moved).toMatchObject({ status: 'awaiting_payment', rescheduledFrom: old.bookingId, payment: { status: 'pending', checkoutUrl: expect.stringMatching(/^http/) } });
    expect(moved.payment.checkoutId).not.toBe(old.payment.checkoutId);
    return { old: await bookingNow(old), moved };
  }

  const localCheckout = async (checkoutId: string | undefined) =>
    (await documentClient(cloud.urls.dynamodb).send(new GetCommand({ TableName: cloud.tableName, Key: keys.localCheckout(tenantId, checkoutId ?? ''), ConsistentRead: true }))).Item;
  const localRefund = async (bookingId: string) =>
    (await documentClient(cloud.urls.dynamodb).send(new GetCommand({ TableName: cloud.tableName, Key: keys.localRefund(tenantId, bookingId), ConsistentRead: true }))).Item;
  const refundNotices = (texts: string[]) => texts.filter((t) => t.includes("we've refunded"));

  it('the old link stops taking payment; a payment made on it at the same moment confirms the new booking, once, and nothing is refunded', async () => {
    const conversationId = await conversation(tenantId, 'en');
    const { old, moved } = await bookAndMove(conversationId, 12);
    expect(old).toMatchObject({ status: 'cancelled', rescheduledTo: { bookingId: moved.bookingId, actor: 'customer' } });

    // The link still in the chat says it has expired, and takes no money.
    const page = await fetch(old.payment.checkoutUrl ?? '');
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This payment link has expired.');
    expect((await fetch(`${old.payment.checkoutUrl ?? ''}/pay`, { method: 'POST' })).status).toBe(410);
    expect(await localCheckout(old.payment.checkoutId)).toMatchObject({ status: 'expired' });
    await cloud.settle();
    expect((await bookingNow(moved)).status).toBe('awaiting_payment');

    // Paid on the old page at the very moment it was moved: Stripe reports that session's payment all the same.
    const payment = { tenantId, bookingId: old.bookingId, paymentId: 'pi_test_moved_1', amountCents: 5000, eventId: 'evt_moved_1' };
    publish('payment.succeeded', payment);
    expect((await finished(moved.bookingId)).status).toBe('SUCCEEDED');
    const confirmed = await bookingNow(moved);
    expect(confirmed).toMatchObject({ status: 'confirmed', payment: { status: 'paid', paymentId: 'pi_test_moved_1' } });
    const messages = await botMessages(tenantId, conversationId);
    expect(messages.filter((t) => t.includes('confirmed'))).toEqual([expect.stringContaining("We've received your €50.00 deposit")]);
    expect(refundNotices(messages)).toEqual([]);
    // Nothing refunded; the old booking stays as the reschedule left it; the new booking's own page takes no second deposit.
    expect(await localRefund(old.bookingId)).toBeUndefined();
    expect(await localRefund(moved.bookingId)).toBeUndefined();
    expect(await bookingNow(old)).toEqual(old);
    expect(await localCheckout(moved.payment.checkoutId)).toMatchObject({ status: 'expired' });

    // Delivered again (Stripe and EventBridge may): nothing changes, nothing is sent.
    publish('payment.succeeded', payment);
    publish('payment.succeeded', { ...payment, eventId: 'evt_moved_1_again' });
    await cloud.settle();
    expect(await bookingNow(moved)).toEqual(confirmed);
    expect(await bookingNow(old)).toEqual(old);
    expect(await botMessages(tenantId, conversationId)).toEqual(messages);
    expect(await publishedSoon('booking.confirmed', { bookingId: moved.bookingId })).toHaveLength(1);
    expect((await handoffStore().listOutbox(tenantId, 100)).filter((e) => e.kind === 'booking.late_payment')).toEqual([]);
    expect(cloud.runtime.invocations.filter((i) => i.fn === 'bookingEvents' && i.error)).toEqual([]);
  });

  it('a payment on the old link after the new booking was paid is refunded, and the customer is told why (not that a hold ended)', async () => {
    const conversationId = await conversation(tenantId, 'en');
    const { old, moved } = await bookAndMove(conversationId, 20);
    publish('payment.succeeded', { tenantId, bookingId: moved.bookingId, paymentId: 'pi_test_new_2', amountCents: 5000, eventId: 'evt_new_2' });
    expect((await finished(moved.bookingId)).status).toBe('SUCCEEDED');
    const confirmed = await bookingNow(moved);
    expect(confirmed).toMatchObject({ status: 'confirmed', payment: { status: 'paid', paymentId: 'pi_test_new_2' } });

    const late = { tenantId, bookingId: old.bookingId, paymentId: 'pi_test_old_2', amountCents: 5000, eventId: 'evt_old_2' };
    publish('payment.succeeded', late);
    const refunded = await eventually(async () => {
      const b = await bookingNow(old);
      return b.payment.status === 'refunded' ? b : undefined;
    }, 'the second payment to be refunded', STEP_MS);
    expect(refunded).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', paymentId: 'pi_test_old_2' } });
    expect(await localRefund(old.bookingId)).toMatchObject({ paymentId: 'pi_test_old_2', amountCents: 5000 });
    const told = await eventually(async () => refundNotices(await botMessages(tenantId, conversationId))[0], 'the customer to be told', STEP_MS);
    expect(told).toContain('Your €50.00 payment was for the Teeth whitening with Dr Niamh Gallagher');
    expect(told).toContain('the deposit for the new time was already paid');
    expect(told).not.toContain('hold');
    const staffNotice = await eventually(async () => (await handoffStore().listOutbox(tenantId, 100)).find((e) => e.kind === 'booking.late_payment' && e.bookingId === old.bookingId), 'the staff notice', STEP_MS);
    expect(staffNotice.text).toContain(`moved to booking ${moved.bookingId}, whose deposit was already paid`);
    // The new booking keeps its own payment; a replay refunds and says nothing more.
    publish('payment.succeeded', late);
    await cloud.settle();
    expect(await bookingNow(moved)).toEqual(confirmed);
    expect(await bookingNow(old)).toEqual(refunded);
    expect(refundNotices(await botMessages(tenantId, conversationId))).toHaveLength(1);
  });
});

// ---- a customer reached by phone only -----------------------------------------------------------------

describe('a booking without a conversation, for a customer who gave only a phone (a staff booking)', () => {
  /** The SMS in the channel outbox to one number, oldest first. */
  const texts = async (tenantId: string, to: string): Promise<string[]> => (await channelStore().listOutbox(tenantId, { limit: 50, to, channel: 'sms' })).reverse().map((m) => m.text);
  const textSoon = (tenantId: string, to: string, what: string, match: (t: string) => boolean): Promise<string> =>
    eventually(async () => (await texts(tenantId, to)).find(match), what, STEP_MS);

  it('texts the confirmation and, before the start, the reminder', async () => {
    const tenantId = 'bkw-free';
    const phone = '+353871110001';
    const start = boundaryAfter(24 * 3_600_000 + 5 * 60_000);
    // Niamh: the first test holds Marta at about the same time.
    const booking = await holdAndRequest({ tenantId, serviceId: 'checkup-clean', staffId: 'niamh-gallagher', start, lang: 'en', customer: { name: 'Phone Only', phone } });
    const local = new Intl.DateTimeFormat('en-IE', { timeZone: 'Europe/Dublin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(start));

    const confirmed = await textSoon(tenantId, phone, 'the confirmation SMS', (t) => t.includes('is confirmed'));
    expect(confirmed).toContain(`at ${local}`);
    const reminder = await textSoon(tenantId, phone, 'the reminder SMS', (t) => t.includes('a reminder that your Check-up & clean'));
    expect(reminder).toContain(`at ${local}`);
    expect((await finished(booking.bookingId)).status).toBe('SUCCEEDED');
    expect(await publishedSoon('booking.reminded', { bookingId: booking.bookingId })).toHaveLength(1);
    // Both in the number's one SMS conversation, which the customer's answer would join; no customer e-mail.
    const conversationId = await store().getVisitorConversation(tenantId, `sms:${phone}`);
    expect((await botMessages(tenantId, conversationId ?? '')).filter((t) => t.startsWith('Harbour Dental Studio:'))).toHaveLength(2);
    expect((await channelStore().listOutbox(tenantId, { limit: 50, to: phone })).every((m) => m.conversationId === conversationId)).toBe(true);
    expect((await handoffStore().listOutbox(tenantId, 100)).filter((e) => e.bookingId === booking.bookingId && e.kind !== 'booking.confirmed')).toEqual([]);
    expect(await texts(tenantId, phone)).toHaveLength(2);
  });

  it('texts the payment link and, when the deposit is not paid in time, that the time was released (in Spanish)', async () => {
    const tenantId = 'bkw-expire';
    const phone = '+34600110002';
    const booking = await holdAndRequest({ tenantId, serviceId: 'aligner-consultation', staffId: 'niamh-gallagher', start: boundaryAfter(2 * 24 * 3_600_000), lang: 'es', customer: { name: 'Solo Teléfono', phone } });
    expect((await finished(booking.bookingId)).status).toBe('SUCCEEDED');
    const expired = await bookingNow(booking);
    expect(expired.status).toBe('expired');
    // The workflow is done once the texts are handed to the channel sender, which writes the outbox soon after.
    const released = await textSoon(tenantId, phone, 'the release SMS', (t) => t.includes('no hemos recibido la señal'));
    expect(released).toContain('no hemos recibido la señal en 1 minuto, por eso hemos liberado su reserva');
    const sent = await texts(tenantId, phone);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain(expired.payment.checkoutUrl);
    expect(sent[0]).toContain('pague la señal de 25,00 € en 1 minuto');
  });
});

// ---- failures ----------------------------------------------------------------------------------------

describe('a declined deposit', () => {
  it('fails the booking, releases its cells, tells the customer and hands the conversation to a person', async () => {
    const tenantId = 'bkw-paid';
    const conversationId = await conversation(tenantId, 'en');
    const booking = await holdAndRequest({ tenantId, serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: boundaryAfter(6 * 24 * 3_600_000), lang: 'en', conversationId });
    await eventually(
      async () => (cloud.workflows.listPendingTasks().some((t) => t.stateName === 'AwaitPayment' && t.executionArn === executionOf(booking.bookingId)?.executionArn) ? true : undefined),
      'the workflow to wait for the payment',
      STEP_MS,
    );
    publish('payment.failed', { tenantId, bookingId: booking.bookingId, eventId: 'evt_declined_1' });

    const done = await finished(booking.bookingId);
    expect(done).toMatchObject({ status: 'FAILED', error: 'BookingFailed' });
    expect(await bookingNow(booking)).toMatchObject({ status: 'failed', statusReason: 'deposit payment declined', payment: { status: 'failed' } });
    expect(await busy(tenantId, booking.cells)).toEqual([]);
    expect((await botMessages(tenantId, conversationId)).find((t) => t.startsWith('Sorry'))).toContain("the payment didn't go through");
    expect(await publishedSoon('handoff.requested', { conversationId })).toEqual([expect.objectContaining({ reason: 'booking failed' })]);
  });
});

describe('booking failures', () => {
  it('a hold that ran out and was taken meanwhile: compensation fails the booking, frees its cells and hands the customer to a person', async () => {
    const tenantId = 'bkw-fail';
    const conversationId = await conversation(tenantId, 'en');
    const start = boundaryAfter(4 * 24 * 3_600_000);
    // Booking A's hold ran out before its workflow ran (A is not requested yet)…
    const a = await holdAndRequest({ tenantId, serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, lang: 'en', conversationId, holdExpiresAt: new Date(Date.now() - 60_000).toISOString(), publish: false });
    // …and B took its last cell (B is held, its workflow not started).
    const lastCell = a.cells[a.cells.length - 1];
    if (!lastCell) throw new Error('no cells');
    const b = await holdAndRequest({ tenantId, serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: lastCell.start, lang: 'en', publish: false });
    publish('booking.requested', { tenantId, bookingId: a.bookingId });

    const done = await finished(a.bookingId);
    expect(done).toMatchObject({ status: 'FAILED', error: 'BookingFailed' });
    expect(await bookingNow(a)).toMatchObject({ status: 'failed', statusReason: 'the held time was taken' });
    // A's own cells are free (their locks deleted); B keeps the one it took.
    for (const cell of a.cells.slice(0, -1)) expect(await lockOwner(tenantId, cell)).toBeUndefined();
    expect(await lockOwner(tenantId, lastCell)).toBe(b.bookingId);
    expect((await bookingNow(b)).status).toBe('held');

    const told = (await botMessages(tenantId, conversationId)).find((t) => t.startsWith('Sorry'));
    expect(told).toContain('that time is no longer free');
    expect(told).toContain("I've asked someone from the team");
    expect(await publishedSoon('booking.failed', { bookingId: a.bookingId })).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(await publishedSoon('handoff.requested', { conversationId })).toEqual([expect.objectContaining({ tenantId, reason: 'booking failed' })]);
    // The handoff workflow takes the conversation.
    await eventually(async () => (cloud.workflows.listExecutions().some((e) => e.stateMachine === 'handoff' && e.input.includes(conversationId)) ? true : undefined), 'the handoff to start', STEP_MS);
    expect((await handoffStore().listOutbox(tenantId, 50)).some((e) => e.kind === 'booking.failed' && e.bookingId === a.bookingId)).toBe(true);
  });

  it('a booking deleted under its workflow: the hold step fails, compensation reports booking.failed and the execution fails', async () => {
    const tenantId = 'bkw-fail';
    const booking = await holdAndRequest({ tenantId, serviceId: 'emergency', staffId: 'niamh-gallagher', start: boundaryAfter(5 * 24 * 3_600_000), lang: 'en', publish: false });
    await documentClient(cloud.urls.dynamodb).send(new DeleteCommand({ TableName: cloud.tableName, Key: keys.booking(tenantId, booking.bookingId) }));
    publish('booking.requested', { tenantId, bookingId: booking.bookingId });

    const done = await finished(booking.bookingId);
    expect(done).toMatchObject({ status: 'FAILED', error: 'BookingFailed' });
    expect(await publishedSoon('booking.failed', { bookingId: booking.bookingId })).toEqual([expect.objectContaining({ reason: 'the booking no longer exists' })]);
    // Only the hold step and the compensation ran: a vanished booking is not retried.
    const steps = cloud.runtime.invocations.filter((i) => i.fn === 'workflowTask' && i.error?.includes(booking.bookingId));
    expect(steps).toHaveLength(1);
  });
});
