/**
 * The booking use cases (core/booking/service.ts) over the real DynamoDB adapters on Amazon's DynamoDB Local:
 * the catalogue is a CachedCatalogue over the DynamoStore with the demo clinic's knowledge base
 * (local-cloud/seed/demo-kb.json, Europe/Dublin), bookings live in the DynamoBookingStore. Only what stands for
 * the outside world is faked: Payments (Stripe), Calendar (Google) and the event bus record what they are asked.
 *
 * The race: 50 customers book 5 slots of one dentist at once → exactly 5 holds, 45 clean refusals with
 * alternatives, never two owners of one cell; and a hold left to expire frees its slot again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { DynamoBookingStore } from '../../lambdas/adapters/dynamo/booking-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { CachedCatalogue } from '../../lambdas/core/nlu/catalogue';
import type { ConciergeEvent, EventPublisher } from '../../lambdas/core/ports';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { defaultBookingSettings, type Booking, type Calendar, type CalendarEvent, type Payments, type Slot } from '../../lambdas/core/booking/ports';
import {
  bookSlot,
  bookingSettingsOf,
  cancelBooking,
  customerKeyOf,
  findSlots,
  rescheduleBooking,
  upcomingBookings,
  type BookingDeps,
} from '../../lambdas/core/booking/service';

const TABLE = 'booking-service-test';
/** Monday 30 November 2026, 08:00 in Dublin (UTC+0 in winter). */
const START_MS = Date.parse('2026-11-30T08:00:00.000Z');
let nowMs = START_MS;
const clock = { now: () => new Date(nowMs) };
const minutes = (n: number): number => n * 60_000;

let ddb: DynamoDbLocalHandle;
let db: DynamoDBDocumentClient;
let store: DynamoStore;
let bookings: DynamoBookingStore;
let catalogue: CachedCatalogue;

/** Stands for Stripe: records refunds; can be made to fail the next ones. */
class RecordingPayments implements Payments {
  readonly provider = 'stripe';
  readonly refunds: { tenantId: string; bookingId: string; paymentId: string; amountCents: number }[] = [];
  failures = 0;
  createCheckout(): Promise<{ checkoutId: string; url: string }> {
    return Promise.reject(new Error('the service never creates checkouts (the workflow does)'));
  }
  async refund(input: { tenantId: string; bookingId: string; paymentId: string; amountCents: number }): Promise<{ refundId: string }> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Stripe: An error occurred with our connection to Stripe');
    }
    this.refunds.push(input);
    return { refundId: `re_${input.bookingId}` };
  }
}

/** Stands for Google Calendar: records deletions. */
class RecordingCalendar implements Calendar {
  readonly provider = 'google';
  readonly deleted: string[] = [];
  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    return { eventId: `evt-${event.bookingId}` };
  }
  async deleteEvent(input: { tenantId: string; bookingId: string; eventId: string }): Promise<void> {
    this.deleted.push(input.eventId);
  }
}

/** Stands for EventBridge: records events; can be made to fail. */
class RecordingEvents implements EventPublisher {
  readonly events: ConciergeEvent[] = [];
  failing = false;
  async publish(events: readonly ConciergeEvent[]): Promise<void> {
    if (this.failing) throw new Error('EventBridge is down');
    this.events.push(...events);
  }
}

interface World {
  readonly deps: BookingDeps;
  readonly payments: RecordingPayments;
  readonly calendar: RecordingCalendar;
  readonly events: RecordingEvents;
}

function world(): World {
  const payments = new RecordingPayments();
  const calendar = new RecordingCalendar();
  const events = new RecordingEvents();
  return { deps: { bookings, catalogue, payments, calendar, events, clock }, payments, calendar, events };
}

const demoKb = (): KnowledgeBase => knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));

let tenantCounter = 0;
async function newTenant(): Promise<string> {
  const tenantId = `clinic-${++tenantCounter}`;
  const kb = demoKb();
  await provisionTenant(store, { tenantId, widgetKey: newWidgetKey(tenantId), allowedOrigins: ['https://harbourdental.example'], kb: { ...kb, business: { ...kb.business, slug: tenantId } } });
  return tenantId;
}

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoStore(db, TABLE, clock);
  bookings = new DynamoBookingStore(db, TABLE, clock);
  catalogue = new CachedCatalogue(store, () => nowMs);
}, 120_000);

afterAll(async () => {
  db?.destroy();
  await ddb?.stop();
});

afterEach(() => {
  nowMs = START_MS;
});

/** A slot of the demo clinic; Dublin is on UTC in winter, so local and UTC times agree. */
function slot(serviceId: string, staffId: string, start: string, durationMinutes: number): Slot {
  return { serviceId, staffId, start, end: new Date(Date.parse(start) + minutes(durationMinutes)).toISOString() };
}
const emergency = (start: string): Slot => slot('emergency', 'niamh-gallagher', start, 30);
const whitening = (start: string): Slot => slot('teeth-whitening', 'niamh-gallagher', start, 90);
const ana = { name: 'Ana García', phone: '+34 600 000 001', email: 'Ana@Example.com' };

async function book(w: World, tenantId: string, s: Slot, customer: { name: string; phone?: string; email?: string } = ana): Promise<Booking> {
  const result = await bookSlot(w.deps, { tenantId, slot: s, customer, channel: 'web', lang: 'en', source: 'concierge', conversationId: 'conv-1' });
  if (!result.ok) throw new Error(`not booked: ${JSON.stringify(result)}`);
  return result.booking;
}

/** What the workflow would do: confirm, optionally with a paid deposit and a calendar event. */
async function confirm(b: Booking, extra: Partial<Booking> = {}): Promise<Booking> {
  const { holdExpiresAt: _hold, ...rest } = b;
  const confirmed: Booking = { ...rest, status: 'confirmed', ...extra, rev: b.rev + 1, updatedAt: clock.now().toISOString() };
  expect(await bookings.updateBooking(b, confirmed)).toBe(true);
  return confirmed;
}

describe('customerKeyOf and settings', () => {
  it('finds a customer by phone (normalised) first, else by lower-case e-mail', () => {
    expect(customerKeyOf({ phone: '+34 600-000 (001)', email: 'x@example.com' })).toBe('phone:+34600000001');
    expect(customerKeyOf({ phone: '0034 600 000 001' })).toBe('phone:+34600000001');
    expect(customerKeyOf({ email: ' Ana@Example.COM ' })).toBe('email:ana@example.com');
    expect(customerKeyOf({ phone: '12', email: 'no-at-sign' })).toBeUndefined();
    expect(customerKeyOf({ email: 'a#b@example.com' })).toBeUndefined();
  });

  it('reads stored settings, or the defaults', async () => {
    const t = await newTenant();
    expect(await bookingSettingsOf({ bookings }, t)).toEqual(defaultBookingSettings);
    await bookings.putBookingSettings(t, { ...defaultBookingSettings, holdMinutes: 20 });
    expect((await bookingSettingsOf({ bookings }, t)).holdMinutes).toBe(20);
  });
});

describe('findSlots and bookSlot', () => {
  it('holds a free slot, publishes booking.requested with ids only, and no longer offers that time', async () => {
    const t = await newTenant();
    const w = world();
    const day = { serviceId: 'emergency', staffId: 'niamh-gallagher', date: '2026-12-01', after: '09:00', before: '10:00', limit: 10 };
    expect((await findSlots(w.deps, t, day)).slots.map((s) => s.start)).toEqual(['2026-12-01T09:00:00.000Z', '2026-12-01T09:30:00.000Z']);

    const b = await book(w, t, emergency('2026-12-01T09:00:00.000Z'));
    expect(b).toMatchObject({
      status: 'held',
      customerKey: 'phone:+34600000001',
      holdExpiresAt: new Date(nowMs + minutes(defaultBookingSettings.holdMinutes)).toISOString(),
      priceCents: 9500,
      depositCents: 0,
      currency: 'EUR',
      payment: { status: 'none' },
      cells: [
        { staffId: 'niamh-gallagher', start: '2026-12-01T09:00:00.000Z' },
        { staffId: 'niamh-gallagher', start: '2026-12-01T09:15:00.000Z' },
      ],
      conversationId: 'conv-1',
      rev: 1,
    });
    expect(await bookings.getBooking(t, b.bookingId)).toEqual(b);
    expect(w.events.events).toEqual([{ type: 'booking.requested', tenantId: t, detail: { bookingId: b.bookingId } }]);
    expect((await findSlots(w.deps, t, day)).slots.map((s) => s.start)).toEqual(['2026-12-01T09:30:00.000Z']);
  });

  it('answers a double-clicked confirmation with the same booking: one hold, one workflow, one payment', async () => {
    const t = await newTenant();
    const w = world();
    const slot = whitening('2026-12-03T10:00:00.000Z');
    const twice = await Promise.all([1, 2].map(() => bookSlot(w.deps, { tenantId: t, slot, customer: ana, channel: 'web', lang: 'en', source: 'concierge', conversationId: 'conv-1' })));
    const ids = twice.map((r) => (r.ok ? r.booking.bookingId : `refused:${r.reason}`));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).not.toMatch(/^refused/);
    expect(w.events.events.filter((e) => e.type === 'booking.requested')).toHaveLength(1);
    // Someone else asking for the same time is still refused.
    const other = await bookSlot(w.deps, { tenantId: t, slot, customer: { name: 'Other', phone: '+34600000999' }, channel: 'web', lang: 'en', source: 'concierge' });
    expect(other).toMatchObject({ ok: false, reason: 'taken' });
  });

  it('takes the price and deposit from the service: a deposit leaves the payment pending', async () => {
    const t = await newTenant();
    const b = await book(world(), t, whitening('2026-12-02T10:00:00.000Z'));
    expect(b).toMatchObject({ priceCents: 35000, depositCents: 5000, payment: { status: 'pending' } });
    expect(b.cells).toHaveLength(6);
  });

  it('refuses an invalid slot with the reason, and a customer nobody could reach', async () => {
    const t = await newTenant();
    const w = world();
    const ask = (s: Slot) => bookSlot(w.deps, { tenantId: t, slot: s, customer: ana, channel: 'web', lang: 'en', source: 'concierge' });
    expect(await ask(emergency('2026-11-30T08:30:00.000Z'))).toEqual({ ok: false, reason: 'invalid', problem: 'past' }); // within the 60-minute notice
    expect(await ask(emergency('2026-12-06T10:00:00.000Z'))).toEqual({ ok: false, reason: 'invalid', problem: 'closed' }); // a Sunday
    expect(await ask(slot('emergency', 'marta-ruiz', '2026-12-01T10:00:00.000Z', 30))).toEqual({ ok: false, reason: 'invalid', problem: 'staff_does_not_do_service' });
    expect(await ask(slot('root-canal', 'niamh-gallagher', '2026-12-01T10:00:00.000Z', 30))).toEqual({ ok: false, reason: 'invalid', problem: 'unknown_service' });
    await expect(bookSlot(w.deps, { tenantId: t, slot: emergency('2026-12-01T10:00:00.000Z'), customer: { name: 'Bo' }, channel: 'web', lang: 'en', source: 'concierge' })).rejects.toThrow(
      /phone number or an e-mail address/,
    );
    await expect(ask({ ...emergency('2026-12-01T10:00:00.000Z'), start: 'tomorrow' })).rejects.toThrow(/UTC ISO instant/);
    expect(w.events.events).toEqual([]);
    expect(await bookings.listBookings(t, '2026-11-30T00:00:00.000Z', '2026-12-31T00:00:00.000Z')).toEqual([]);
  });

  it('gives the time back when the workflow cannot be started', async () => {
    const t = await newTenant();
    const w = world();
    w.events.failing = true;
    await expect(bookSlot(w.deps, { tenantId: t, slot: emergency('2026-12-01T11:00:00.000Z'), customer: ana, channel: 'web', lang: 'en', source: 'concierge' })).rejects.toThrow(/EventBridge is down/);
    const [failed] = await bookings.listBookings(t, '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z');
    expect(failed?.status).toBe('failed');
    expect(await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z', clock.now())).toEqual([]);
  });
});

describe('the race: 50 customers, 5 slots', () => {
  it('holds exactly 5, refuses 45 at once with alternatives, never gives a cell two owners; an expired hold frees its slot', async () => {
    const t = await newTenant();
    const w = world();
    const starts = ['09:00', '10:00', '11:00', '12:00', '13:00'].map((hm) => `2026-12-01T${hm}:00.000Z`);
    const customers = Array.from({ length: 50 }, (_, i) => ({ name: `Customer ${i}`, phone: `+353 87 100 ${String(1000 + i)}` }));
    const results = await Promise.all(
      customers.map((customer, i) =>
        bookSlot(w.deps, { tenantId: t, slot: emergency(starts[i % 5] ?? ''), customer, channel: 'whatsapp', lang: 'en', source: 'concierge' }),
      ),
    );

    const won = results.flatMap((r) => (r.ok ? [r.booking] : []));
    const refused = results.flatMap((r, i) => (!r.ok && r.reason === 'taken' ? [{ alternatives: r.alternatives, wanted: starts[i % 5] }] : []));
    expect(won).toHaveLength(5);
    expect(refused).toHaveLength(45);
    expect(won.map((b) => b.start).sort()).toEqual(starts);
    for (const r of refused) {
      expect(r.alternatives.length).toBeGreaterThan(0);
      expect(r.alternatives.map((a) => a.start)).not.toContain(r.wanted);
    }
    // One owner per cell, and it is the winner of that slot.
    for (const b of won) {
      for (const cell of b.cells) {
        const item = (await db.send(new GetCommand({ TableName: TABLE, Key: keys.cell(t, cell.staffId, cell.start), ConsistentRead: true }))).Item;
        expect(item?.['bookingId']).toBe(b.bookingId);
      }
    }
    expect((await bookings.listBookings(t, '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z')).map((b) => b.bookingId).sort()).toEqual(won.map((b) => b.bookingId).sort());
    expect(w.events.events.filter((e) => e.type === 'booking.requested')).toHaveLength(5);

    // Nobody confirms: once the holds expire, their times are free again for busyCells, findSlots and a new hold.
    const request = { serviceId: 'emergency', staffId: 'niamh-gallagher', date: '2026-12-01', after: '09:00', before: '09:30', limit: 5 };
    expect((await findSlots(w.deps, t, request)).slots).toEqual([]);
    nowMs += minutes(defaultBookingSettings.holdMinutes);
    expect(await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z', clock.now())).toEqual([]);
    expect((await findSlots(w.deps, t, request)).slots.map((s) => s.start)).toEqual(['2026-12-01T09:00:00.000Z']);
    const late = await book(w, t, emergency('2026-12-01T09:00:00.000Z'), { name: 'Late', email: 'late@example.com' });
    const item = (await db.send(new GetCommand({ TableName: TABLE, Key: keys.cell(t, 'niamh-gallagher', '2026-12-01T09:00:00.000Z'), ConsistentRead: true }))).Item;
    expect(item?.['bookingId']).toBe(late.bookingId);
  });
});

describe('cancelBooking', () => {
  it('refunds a paid deposit, deletes the calendar event, releases the time and publishes booking.cancelled', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    const confirmed = await confirm(held, { payment: { status: 'paid', provider: 'stripe', paymentId: 'pi_1', paidAt: clock.now().toISOString() }, calendarEventId: 'gcal-1' });
    const result = await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'customer' });
    expect(result).toMatchObject({ ok: true, refunded: true, booking: { status: 'cancelled', payment: { status: 'refunded', paymentId: 'pi_1' } } });
    expect(w.payments.refunds).toEqual([{ tenantId: t, bookingId: held.bookingId, paymentId: 'pi_1', amountCents: 5000 }]);
    expect(w.calendar.deleted).toEqual(['gcal-1']);
    // The refund is published with the cancellation, so the analytics take it off the deposits collected.
    expect(w.events.events.slice(-2)).toEqual([
      { type: 'booking.cancelled', tenantId: t, detail: { bookingId: held.bookingId, actor: 'customer', refunded: true, calendarDeleted: true, wasConfirmed: true, idempotencyKey: `booking.cancelled:${held.bookingId}` } },
      { type: 'payment.refunded', tenantId: t, detail: { bookingId: held.bookingId, paymentId: 'pi_1', amountCents: 5000, currency: 'EUR', reason: 'cancelled', idempotencyKey: `payment.refunded:${held.bookingId}` } },
    ]);
    expect((await bookings.getBooking(t, held.bookingId))?.rev).toBe(confirmed.rev + 1);
    expect(await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z', clock.now())).toEqual([]);
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff' })).toEqual({ ok: false, reason: 'not_active' });
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: 'nope', actor: 'staff' })).toEqual({ ok: false, reason: 'not_found' });
  });

  it('a refund that fails leaves the booking active, so cancelling again refunds, cancels, deletes the event and publishes once', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    const confirmed = await confirm(held, { payment: { status: 'paid', provider: 'stripe', paymentId: 'pi_retry' }, calendarEventId: 'gcal-retry' });
    w.payments.failures = 1;
    await expect(cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff', by: 'staff-sub' })).rejects.toThrow(/connection to Stripe/);
    expect(await bookings.getBooking(t, held.bookingId)).toEqual(confirmed);
    expect(w.calendar.deleted).toEqual([]);
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled')).toEqual([]);

    const again = await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff', by: 'staff-sub' });
    expect(again).toMatchObject({ ok: true, refunded: true, booking: { status: 'cancelled', payment: { status: 'refunded', paymentId: 'pi_retry', refundedAt: expect.any(String) } } });
    expect(w.payments.refunds).toEqual([{ tenantId: t, bookingId: held.bookingId, paymentId: 'pi_retry', amountCents: 5000 }]);
    expect(w.calendar.deleted).toEqual(['gcal-retry']);
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled')).toEqual([
      { type: 'booking.cancelled', tenantId: t, detail: { bookingId: held.bookingId, actor: 'staff', refunded: true, calendarDeleted: true, wasConfirmed: true, idempotencyKey: `booking.cancelled:${held.bookingId}` } },
    ]);
    expect(w.events.events.filter((e) => e.type === 'payment.refunded')).toEqual([
      { type: 'payment.refunded', tenantId: t, detail: { bookingId: held.bookingId, paymentId: 'pi_retry', amountCents: 5000, currency: 'EUR', reason: 'cancelled', idempotencyKey: `payment.refunded:${held.bookingId}` } },
    ]);
    expect(await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z', clock.now())).toEqual([]);
  });

  it('holds customers to the notice period (staff may always) and to the refund policy', async () => {
    const t = await newTenant();
    const w = world();
    await bookings.putBookingSettings(t, { ...defaultBookingSettings, refundDepositOnCancel: false });
    const soon = await confirm(await book(w, t, whitening('2026-12-01T09:00:00.000Z')), { payment: { status: 'paid', paymentId: 'pi_2' } }); // in 25 h
    nowMs += minutes(2 * 60); // 23 h before the start
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: soon.bookingId, actor: 'customer' })).toEqual({ ok: false, reason: 'too_late' });
    expect((await bookings.getBooking(t, soon.bookingId))?.status).toBe('confirmed');
    const byStaff = await cancelBooking(w.deps, { tenantId: t, bookingId: soon.bookingId, actor: 'staff', by: 'staff-sub', reason: 'Dentist ill' });
    expect(byStaff).toMatchObject({ ok: true, refunded: true, booking: { statusReason: 'Dentist ill', by: 'staff-sub' } });

    const later = await confirm(await book(w, t, whitening('2026-12-04T09:00:00.000Z')), { payment: { status: 'paid', paymentId: 'pi_3' } });
    const byCustomer = await cancelBooking(w.deps, { tenantId: t, bookingId: later.bookingId, actor: 'customer' });
    expect(byCustomer).toMatchObject({ ok: true, refunded: false, booking: { payment: { status: 'paid' } } });
    expect(w.payments.refunds.map((r) => r.paymentId)).toEqual(['pi_2']);
  });
});

describe('a cancellation whose event was not published', () => {
  it('is answered again to the staff member who asks again, and booking.cancelled published again under one key', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    await confirm(held, { payment: { status: 'paid', provider: 'stripe', paymentId: 'pi_lost' }, calendarEventId: 'gcal-lost' });
    // The write applies, then EventBridge fails past the SDK's retries: staff see an error.
    w.events.failing = true;
    await expect(cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff', by: 'staff-sub' })).rejects.toThrow(/EventBridge is down/);
    expect(await bookings.getBooking(t, held.bookingId)).toMatchObject({ status: 'cancelled', payment: { status: 'refunded' }, cancellation: { actor: 'staff', by: 'staff-sub', refunded: true, wasConfirmed: true } });
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled')).toEqual([]);

    // They press Cancel again: the same answer, the event published (was: 409 "no longer active", and the event lost).
    w.events.failing = false;
    const again = await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff', by: 'staff-sub' });
    expect(again).toMatchObject({ ok: true, refunded: true, booking: { status: 'cancelled' } });
    expect(w.payments.refunds.map((r) => r.paymentId)).toEqual(['pi_lost']); // refunded once
    const expected = { type: 'booking.cancelled', tenantId: t, detail: expect.objectContaining({ bookingId: held.bookingId, actor: 'staff', refunded: true, wasConfirmed: true, idempotencyKey: `booking.cancelled:${held.bookingId}` }) };
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled')).toEqual([expected]);
    // Asked a third time (the second answer lost too): published again under the same key, which consumers apply once.
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff', by: 'staff-sub' })).toMatchObject({ ok: true, refunded: true });
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled')).toEqual([expected, expected]);
    // The refund's event goes with it each time, under one key: the analytics subtract it once.
    expect(w.events.events.filter((e) => e.type === 'payment.refunded').map((e) => e.detail)).toEqual([
      expect.objectContaining({ bookingId: held.bookingId, idempotencyKey: `payment.refunded:${held.bookingId}` }),
      expect.objectContaining({ bookingId: held.bookingId, idempotencyKey: `payment.refunded:${held.bookingId}` }),
    ]);

    // Anyone else is told it is no longer active, as before.
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff', by: 'other-staff' })).toEqual({ ok: false, reason: 'not_active' });
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'customer' })).toEqual({ ok: false, reason: 'not_active' });
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled')).toHaveLength(2);
  });

  it("a customer's cancellation is not repeated for the staff member who made the booking", async () => {
    const t = await newTenant();
    const w = world();
    const made = await bookSlot(w.deps, { tenantId: t, slot: whitening('2026-12-04T10:00:00.000Z'), customer: ana, channel: 'staff', lang: 'en', source: 'staff', by: 'staff-sub' });
    if (!made.ok) throw new Error('not booked');
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: made.booking.bookingId, actor: 'customer' })).toMatchObject({ ok: true });
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: made.booking.bookingId, actor: 'staff', by: 'staff-sub' })).toEqual({ ok: false, reason: 'not_active' });
  });
});

describe('a cancellation that loses to a concurrent one', () => {
  it('records the refund it already made on the booking the other cancellation ended', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-05T10:00:00.000Z'));
    await confirm(held, { payment: { status: 'paid', provider: 'stripe', paymentId: 'pi_race' } });
    // Between the refund and its own update, another cancellation (which refunds nothing) ends the booking.
    let raced = false;
    const racing: typeof bookings = Object.assign(Object.create(bookings) as typeof bookings, {
      updateBooking: async (before: Booking, after: Booking) => {
        if (!raced) {
          raced = true;
          const current = await bookings.getBooking(t, held.bookingId);
          if (current) await bookings.updateBooking(current, { ...current, status: 'cancelled', statusReason: 'Cancelled by the customer', rev: current.rev + 1 });
        }
        return bookings.updateBooking(before, after);
      },
    });
    const result = await cancelBooking({ ...w.deps, bookings: racing }, { tenantId: t, bookingId: held.bookingId, actor: 'staff' });
    expect(result).toEqual({ ok: false, reason: 'not_active' });
    expect(w.payments.refunds.map((r) => r.paymentId)).toEqual(['pi_race']);
    expect(await bookings.getBooking(t, held.bookingId)).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', paymentId: 'pi_race' } });
  });
});

describe('what the analytics need of a cancellation', () => {
  it('says a cancelled hold was never confirmed, so it is not counted as a booking cancelled', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-04T10:00:00.000Z'));
    expect(held.status).not.toBe('confirmed');
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: held.bookingId, actor: 'staff' })).toMatchObject({ ok: true });
    expect(w.events.events.filter((e) => e.type === 'booking.cancelled').map((e) => e.detail)).toEqual([expect.objectContaining({ bookingId: held.bookingId, wasConfirmed: false })]);
  });
});

describe('rescheduleBooking', () => {
  it('moves a confirmed booking atomically, keeping its payment, and publishes booking.changed and booking.requested', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    const confirmed = await confirm(held, { payment: { status: 'paid', paymentId: 'pi_9' }, calendarEventId: 'gcal-9' });
    const result = await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: whitening('2026-12-03T11:00:00.000Z'), actor: 'customer' });
    if (!result.ok) throw new Error(JSON.stringify(result));
    const moved = result.booking;
    expect(moved).toMatchObject({ status: 'confirmed', start: '2026-12-03T11:00:00.000Z', rescheduledFrom: held.bookingId, rescheduledFromConfirmed: true, payment: { status: 'paid', paymentId: 'pi_9' }, customerKey: held.customerKey, rev: 1 });
    expect(moved.bookingId).not.toBe(held.bookingId);
    expect(moved.calendarEventId).toBeUndefined();
    expect(await bookings.getBooking(t, held.bookingId)).toMatchObject({ status: 'cancelled', rev: confirmed.rev + 1 });
    const busy = await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z', clock.now());
    expect(busy.map((c) => c.start.slice(11, 16))).toEqual(['11:00', '11:15', '11:30', '11:45', '12:00', '12:15']);
    expect(w.calendar.deleted).toEqual(['gcal-9']);
    expect(w.events.events.slice(-2)).toEqual([
      {
        type: 'booking.changed',
        tenantId: t,
        detail: { bookingId: moved.bookingId, previousBookingId: held.bookingId, actor: 'customer', calendarDeleted: true, idempotencyKey: `booking.changed:${moved.bookingId}` },
      },
      { type: 'booking.requested', tenantId: t, detail: { bookingId: moved.bookingId, idempotencyKey: `booking.requested:${moved.bookingId}` } },
    ]);
    expect(await bookings.getBooking(t, held.bookingId)).toMatchObject({ rescheduledTo: { bookingId: moved.bookingId, actor: 'customer' } });
    expect((await upcomingBookings(w.deps, t, held.customerKey)).map((b) => b.bookingId)).toEqual([moved.bookingId]);
  });

  it('refuses the time the booking already has, for staff and customer alike: unchanged, nothing written or published', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    const confirmed = await confirm(held, { payment: { status: 'paid', paymentId: 'pi_same' }, calendarEventId: 'gcal-same' });
    const published = w.events.events.length;
    for (const actor of ['staff', 'customer'] as const) {
      const result = await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: whitening('2026-12-03T10:00:00.000Z'), actor, ...(actor === 'staff' ? { by: 'staff-sub' } : {}) });
      expect(result).toEqual({ ok: false, reason: 'unchanged' });
    }
    expect(await bookings.getBooking(t, held.bookingId)).toEqual(confirmed);
    expect(await bookings.listBookings(t, '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z')).toHaveLength(1);
    expect(w.events.events).toHaveLength(published);
    expect(w.calendar.deleted).toEqual([]);
  });

  it('keeps a confirmed replacement when its workflow cannot be started: the customer keeps the appointment and the deposit', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    await confirm(held, { payment: { status: 'paid', provider: 'stripe', paymentId: 'pi_moved' }, calendarEventId: 'gcal-moved' });
    w.events.failing = true;
    await expect(rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: whitening('2026-12-03T14:00:00.000Z'), actor: 'staff', by: 'staff-sub' })).rejects.toThrow(
      /EventBridge is down/,
    );
    const [old, moved] = await bookings.listBookings(t, '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z');
    expect(old).toMatchObject({ bookingId: held.bookingId, status: 'cancelled' });
    expect(moved).toMatchObject({ rescheduledFrom: held.bookingId, status: 'confirmed', payment: { status: 'paid', paymentId: 'pi_moved' } });
    expect(w.payments.refunds).toEqual([]);
    const busy = await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z', clock.now());
    expect(busy.map((c) => c.start.slice(11, 16))[0]).toBe('14:00');
  });

  it('fails a held replacement (time released) when its workflow cannot be started, as bookSlot does', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    expect(held.status).not.toBe('confirmed');
    w.events.failing = true;
    await expect(rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: whitening('2026-12-03T14:00:00.000Z'), actor: 'staff', by: 'staff-sub' })).rejects.toThrow(
      /EventBridge is down/,
    );
    const [old, moved] = await bookings.listBookings(t, '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z');
    expect(old).toMatchObject({ bookingId: held.bookingId, status: 'cancelled' });
    expect(moved).toMatchObject({ rescheduledFrom: held.bookingId, status: 'failed', statusReason: expect.stringContaining('could not be started') });
    // Neither time is held by a booking nobody will confirm.
    expect(await bookings.busyCells(t, ['niamh-gallagher'], '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z', clock.now())).toEqual([]);
    // Asked again, there is no booking to answer with: the new one failed, so the request is refused as before.
    w.events.failing = false;
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: whitening('2026-12-03T14:00:00.000Z'), actor: 'staff', by: 'staff-sub' })).toEqual({
      ok: false,
      reason: 'not_active',
    });
    expect(w.events.events.filter((e) => e.type === 'booking.changed')).toEqual([]);
  });

  it('changes nothing when the new time is taken (offering others), too late or invalid', async () => {
    const t = await newTenant();
    const w = world();
    const mine = await book(w, t, emergency('2026-12-03T10:00:00.000Z'));
    const theirs = await book(w, t, emergency('2026-12-03T11:00:00.000Z'), { name: 'Bo', email: 'bo@example.com' });
    const taken = await rescheduleBooking(w.deps, { tenantId: t, bookingId: mine.bookingId, slot: emergency(theirs.start), actor: 'customer' });
    expect(taken).toMatchObject({ ok: false, reason: 'taken' });
    expect(!taken.ok && taken.alternatives?.length).toBeGreaterThan(0);
    expect(await bookings.getBooking(t, mine.bookingId)).toEqual(mine);
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: mine.bookingId, slot: emergency('2026-12-06T10:00:00.000Z'), actor: 'staff' })).toEqual({ ok: false, reason: 'invalid', problem: 'closed' });
    nowMs = Date.parse('2026-12-03T08:00:00.000Z');
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: theirs.bookingId, slot: emergency('2026-12-03T15:00:00.000Z'), actor: 'customer' })).toEqual({ ok: false, reason: 'too_late' });
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: 'nope', slot: emergency('2026-12-04T15:00:00.000Z'), actor: 'staff' })).toEqual({ ok: false, reason: 'not_found' });
    expect(w.events.events.filter((e) => e.type === 'booking.changed')).toEqual([]);
  });
});

describe('a reschedule asked again', () => {
  /** The events of a move: booking.changed, and booking.requested of any booking but the one moved (booked before). */
  const moves = (w: World, original: Booking) => w.events.events.filter((e) => e.type === 'booking.changed' || (e.type === 'booking.requested' && e.detail['bookingId'] !== original.bookingId));
  const movedEvents = (t: string, moved: Booking, previous: Booking, actor: 'customer' | 'staff', calendarDeleted: boolean) => [
    { type: 'booking.changed', tenantId: t, detail: { bookingId: moved.bookingId, previousBookingId: previous.bookingId, actor, calendarDeleted, idempotencyKey: `booking.changed:${moved.bookingId}` } },
    { type: 'booking.requested', tenantId: t, detail: { bookingId: moved.bookingId, idempotencyKey: `booking.requested:${moved.bookingId}` } },
  ];

  it('whose events were not published answers the staff member with the same new booking, and publishes both events again under one key each', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-03T10:00:00.000Z'));
    await confirm(held, { payment: { status: 'paid', provider: 'stripe', paymentId: 'pi_move' }, calendarEventId: 'gcal-move' });
    const to = whitening('2026-12-03T14:00:00.000Z');
    // The write applies, then EventBridge fails past the SDK's retries: staff see an error.
    w.events.failing = true;
    await expect(rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'staff-sub' })).rejects.toThrow(/EventBridge is down/);
    const [, moved] = await bookings.listBookings(t, '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z');
    if (!moved) throw new Error('no new booking');
    expect(moved).toMatchObject({ rescheduledFrom: held.bookingId, status: 'confirmed', start: to.start, by: 'staff-sub' });
    expect(await bookings.getBooking(t, held.bookingId)).toMatchObject({ status: 'cancelled', rescheduledTo: { bookingId: moved.bookingId, actor: 'staff', by: 'staff-sub' } });
    expect(moves(w, held)).toEqual([]);

    // They press Reschedule again: the same new booking, both events published (was: not_active, and the events lost).
    w.events.failing = false;
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'staff-sub' })).toEqual({ ok: true, booking: moved });
    const published = movedEvents(t, moved, held, 'staff', true);
    expect(moves(w, held)).toEqual(published);
    // A third time (the second answer lost too): published again under the same keys, which consumers apply once.
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'staff-sub' })).toEqual({ ok: true, booking: moved });
    expect(moves(w, held)).toEqual([...published, ...published]);

    // Another time, anyone else, or a customer: no longer active, as before; nothing booked, refunded or published.
    const refused = { ok: false, reason: 'not_active' };
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: whitening('2026-12-03T15:30:00.000Z'), actor: 'staff', by: 'staff-sub' })).toEqual(refused);
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: { ...to, staffId: 'marta-ruiz' }, actor: 'staff', by: 'staff-sub' })).toEqual(refused);
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'other-staff' })).toEqual(refused);
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff' })).toEqual(refused);
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'customer' })).toEqual(refused);
    expect(moves(w, held)).toHaveLength(4);
    expect(w.payments.refunds).toEqual([]);
    expect((await bookings.listBookings(t, '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z')).map((b) => [b.bookingId, b.status])).toEqual([
      [held.bookingId, 'cancelled'],
      [moved.bookingId, 'confirmed'],
    ]);
  });

  it('whose answer was lost gets the same answer as the first time; not once the new booking has ended', async () => {
    const t = await newTenant();
    const w = world();
    const held = await book(w, t, whitening('2026-12-04T10:00:00.000Z'));
    await confirm(held);
    const to = whitening('2026-12-04T12:00:00.000Z');
    const first = await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'staff-sub' });
    if (!first.ok) throw new Error(JSON.stringify(first));
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'staff-sub' })).toEqual(first);
    const published = movedEvents(t, first.booking, held, 'staff', false);
    expect(moves(w, held)).toEqual([...published, ...published]);

    // The new booking cancelled since: the old one is not given back, nor its move repeated.
    expect(await cancelBooking(w.deps, { tenantId: t, bookingId: first.booking.bookingId, actor: 'staff', by: 'staff-sub' })).toMatchObject({ ok: true });
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: held.bookingId, slot: to, actor: 'staff', by: 'staff-sub' })).toEqual({ ok: false, reason: 'not_active' });
    expect(moves(w, held)).toHaveLength(4);
  });

  it("is answered again to the customer who moved it in the chat, never to the staff member who made the booking", async () => {
    const t = await newTenant();
    const w = world();
    const made = await bookSlot(w.deps, { tenantId: t, slot: whitening('2026-12-02T10:00:00.000Z'), customer: ana, channel: 'staff', lang: 'en', source: 'staff', by: 'staff-sub' });
    if (!made.ok) throw new Error('not booked');
    await confirm(made.booking);
    const to = whitening('2026-12-02T13:00:00.000Z');
    w.events.failing = true;
    await expect(rescheduleBooking(w.deps, { tenantId: t, bookingId: made.booking.bookingId, slot: to, actor: 'customer' })).rejects.toThrow(/EventBridge is down/);
    w.events.failing = false;
    // The staff member who booked it, asking for the same time: refused (the customer moved it, not they).
    expect(await rescheduleBooking(w.deps, { tenantId: t, bookingId: made.booking.bookingId, slot: to, actor: 'staff', by: 'staff-sub' })).toEqual({ ok: false, reason: 'not_active' });
    expect(moves(w, made.booking)).toEqual([]);
    // The customer says yes again: the new booking, and its events.
    const again = await rescheduleBooking(w.deps, { tenantId: t, bookingId: made.booking.bookingId, slot: to, actor: 'customer' });
    if (!again.ok) throw new Error(JSON.stringify(again));
    expect(again.booking).toMatchObject({ rescheduledFrom: made.booking.bookingId, start: to.start, status: 'confirmed' });
    expect(moves(w, made.booking)).toEqual(movedEvents(t, again.booking, made.booking, 'customer', false));
  });
});

describe('upcomingBookings', () => {
  it('lists a customer\'s active bookings from now on, soonest first, from any channel', async () => {
    const t = await newTenant();
    const w = world();
    const second = await book(w, t, emergency('2026-12-04T10:00:00.000Z'), { name: 'Ana', phone: '+34600000001' });
    const first = await book(w, t, emergency('2026-12-02T10:00:00.000Z'), { name: 'Ana', phone: '0034 600 000 001', email: 'ana@example.com' });
    const cancelled = await book(w, t, emergency('2026-12-03T10:00:00.000Z'), { name: 'Ana', phone: '+34 600 000 001' });
    await book(w, t, emergency('2026-12-02T11:00:00.000Z'), { name: 'Bo', email: 'bo@example.com' });
    expect((await cancelBooking(w.deps, { tenantId: t, bookingId: cancelled.bookingId, actor: 'customer' })).ok).toBe(true);
    const key = customerKeyOf({ phone: '+34 600 000 001' }) ?? '';
    expect((await upcomingBookings(w.deps, t, key)).map((b) => b.bookingId)).toEqual([first.bookingId, second.bookingId]);
    // Later: the first has started, and an unconfirmed hold that ran out is no booking.
    await confirm(second);
    nowMs = Date.parse('2026-12-03T00:00:00.000Z');
    expect((await upcomingBookings(w.deps, t, key)).map((b) => b.bookingId)).toEqual([second.bookingId]);
  });
});
