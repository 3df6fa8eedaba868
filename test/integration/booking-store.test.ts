/**
 * The booking store (adapters/dynamo/booking-store.ts) against Amazon's DynamoDB Local, with the table created
 * from the shared declaration: holds lock cells in one conditional transaction (idempotent, refused when any cell
 * is busy whatever the durations), expired holds are free again, confirming makes the locks permanent, ending a
 * booking releases only the cells it still owns, a reschedule is all-or-nothing, and the range queries.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { DynamoBookingStore, MAX_BOOKING_CELLS } from '../../lambdas/adapters/dynamo/booking-store';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { cellsFor, defaultBookingSettings, type Booking, type BookingStatus } from '../../lambdas/core/booking/ports';

const TABLE = 'booking-store-test';
let ddb: DynamoDbLocalHandle;
let db: DynamoDBDocumentClient;
let store: DynamoBookingStore;
let nowMs = Date.parse('2026-12-01T08:00:00.000Z');
const clock = { now: () => new Date(nowMs) };
const minutes = (n: number): number => n * 60_000;

beforeAll(async () => {
  ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, TABLE);
  db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoBookingStore(db, TABLE, clock);
});

afterAll(async () => {
  db?.destroy();
  await ddb?.stop();
});

let tenantCounter = 0;
const newTenant = (): string => `store-${++tenantCounter}`;
let idCounter = 0;

interface Draft {
  readonly tenantId: string;
  readonly start: string;
  readonly minutes?: number;
  readonly staffId?: string;
  readonly customerKey?: string;
  readonly status?: BookingStatus;
  readonly holdMinutes?: number;
}

/** A held booking of `minutes` (45 by default) from `start`. */
function draft(d: Draft): Booking {
  const staffId = d.staffId ?? 'niamh';
  const length = d.minutes ?? 45;
  const status = d.status ?? 'held';
  const at = new Date(nowMs).toISOString();
  return {
    tenantId: d.tenantId,
    bookingId: `b${++idCounter}`,
    serviceId: 'checkup',
    staffId,
    start: d.start,
    end: new Date(Date.parse(d.start) + minutes(length)).toISOString(),
    customer: { name: 'Ana', phone: '+34600000001' },
    customerKey: d.customerKey ?? 'phone:+34600000001',
    status,
    priceCents: 8000,
    depositCents: 0,
    currency: 'EUR',
    payment: { status: 'none' },
    cells: cellsFor(staffId, d.start, length),
    ...(status === 'confirmed' ? {} : { holdExpiresAt: new Date(nowMs + minutes(d.holdMinutes ?? 10)).toISOString() }),
    channel: 'web',
    lang: 'en',
    source: 'concierge',
    createdAt: at,
    updatedAt: at,
    rev: 1,
  };
}

function next(b: Booking, change: Partial<Booking>): Booking {
  const { holdExpiresAt: _hold, ...rest } = b;
  const ended = change.status !== undefined && change.status !== 'held' && change.status !== 'awaiting_payment';
  return { ...(ended ? rest : b), ...change, rev: b.rev + 1, updatedAt: new Date(nowMs).toISOString() };
}

const busyStarts = async (tenantId: string, from = '2026-12-01T00:00:00.000Z', to = '2026-12-10T00:00:00.000Z', staff: readonly string[] = ['niamh']): Promise<string[]> =>
  (await store.busyCells(tenantId, staff, from, to, clock.now())).map((c) => `${c.staffId} ${c.start.slice(11, 16)}`);

async function rawCell(tenantId: string, staffId: string, start: string): Promise<Record<string, unknown> | undefined> {
  return (await db.send(new GetCommand({ TableName: TABLE, Key: keys.cell(tenantId, staffId, start), ConsistentRead: true }))).Item;
}

afterEach(() => {
  nowMs = Date.parse('2026-12-01T08:00:00.000Z');
});

describe('hold', () => {
  it('writes the booking, its customer copy and one lock per cell, and reads them back', async () => {
    const t = newTenant();
    const b = draft({ tenantId: t, start: '2026-12-03T14:00:00.000Z' });
    await expect(store.hold(b)).resolves.toEqual({ ok: true, booking: b });
    expect(await store.getBooking(t, b.bookingId)).toEqual(b);
    expect(await busyStarts(t)).toEqual(['niamh 14:00', 'niamh 14:15', 'niamh 14:30']);
    expect(await store.listCustomerBookings(t, b.customerKey)).toEqual([b]);
    expect(await store.listBookings(t, '2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z')).toEqual([b]);
    const cell = await rawCell(t, 'niamh', '2026-12-03T14:15:00.000Z');
    expect(cell).toMatchObject({ bookingId: b.bookingId, state: 'held', expiresAt: Math.ceil(Date.parse(b.holdExpiresAt ?? '') / 1000) });
  });

  it('is idempotent for the same booking, and re-asserting a hold moves the locks\' expiry', async () => {
    const t = newTenant();
    const b = draft({ tenantId: t, start: '2026-12-03T10:00:00.000Z' });
    expect((await store.hold(b)).ok).toBe(true);
    expect((await store.hold(b)).ok).toBe(true);
    const later = { ...b, holdExpiresAt: new Date(nowMs + minutes(40)).toISOString() };
    expect(await store.hold(later)).toEqual({ ok: true, booking: later });
    expect(await rawCell(t, 'niamh', '2026-12-03T10:30:00.000Z')).toMatchObject({ expiresAt: Math.ceil((nowMs + minutes(40)) / 1000) });
    expect(await store.listCustomerBookings(t, b.customerKey)).toHaveLength(1);
  });

  it('refuses a booking overlapping any cell of another, whatever the durations, and writes nothing for it', async () => {
    const t = newTenant();
    const first = draft({ tenantId: t, start: '2026-12-03T14:00:00.000Z', minutes: 45 }); // 14:00-14:45
    expect((await store.hold(first)).ok).toBe(true);
    const tail = draft({ tenantId: t, start: '2026-12-03T14:30:00.000Z', minutes: 90, customerKey: 'email:bo@example.com' }); // shares 14:30
    const before = draft({ tenantId: t, start: '2026-12-03T13:00:00.000Z', minutes: 75, customerKey: 'email:bo@example.com' }); // 13:00-14:15
    expect(await store.hold(tail)).toEqual({ ok: false, reason: 'taken' });
    expect(await store.hold(before)).toEqual({ ok: false, reason: 'taken' });
    expect(await store.getBooking(t, tail.bookingId)).toBeUndefined();
    expect(await store.listCustomerBookings(t, 'email:bo@example.com')).toEqual([]);
    expect(await rawCell(t, 'niamh', '2026-12-03T13:00:00.000Z')).toBeUndefined();
    // Right after, or with another staff member at the same time: free.
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T14:45:00.000Z', minutes: 30 }))).ok).toBe(true);
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T14:00:00.000Z', staffId: 'marta' }))).ok).toBe(true);
  });

  it('lets exactly one of many concurrent holds of the same time win', async () => {
    const t = newTenant();
    const racers = Array.from({ length: 20 }, (_, i) => draft({ tenantId: t, start: '2026-12-04T09:00:00.000Z', minutes: 30 + (i % 3) * 15, customerKey: `phone:+3460000${1000 + i}` }));
    const results = await Promise.all(racers.map((b) => store.hold(b)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const winner = racers[results.findIndex((r) => r.ok)];
    for (const cell of (await store.busyCells(t, ['niamh'], '2026-12-04T00:00:00.000Z', '2026-12-05T00:00:00.000Z', clock.now())).map((c) => c.start)) {
      expect(await rawCell(t, 'niamh', cell)).toMatchObject({ bookingId: winner?.bookingId });
    }
  });

  it('refuses a booking of more cells than one transaction holds, saying why', async () => {
    const t = newTenant();
    const long = draft({ tenantId: t, start: '2026-12-03T00:00:00.000Z', minutes: (MAX_BOOKING_CELLS + 1) * 15 });
    await expect(store.hold(long)).rejects.toThrow(/needs 91 cells; at most 90 fit one DynamoDB transaction/);
  });
});

describe('expiry, confirmation and release', () => {
  it('treats an expired hold as free: busyCells drops it and another booking takes the time over', async () => {
    const t = newTenant();
    const a = draft({ tenantId: t, start: '2026-12-03T09:00:00.000Z', holdMinutes: 10 });
    expect((await store.hold(a)).ok).toBe(true);
    nowMs += minutes(9);
    expect(await busyStarts(t)).toHaveLength(3);
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T09:15:00.000Z', customerKey: 'email:c@example.com' }))).ok).toBe(false);
    nowMs += minutes(1); // exactly at holdExpiresAt
    expect(await busyStarts(t)).toEqual([]);
    const b = draft({ tenantId: t, start: '2026-12-03T09:15:00.000Z', minutes: 30, customerKey: 'email:c@example.com' });
    expect((await store.hold(b)).ok).toBe(true);
    // The late one can no longer confirm (its 09:15 and 09:30 belong to b) ...
    expect(await store.updateBooking(a, next(a, { status: 'confirmed' }))).toBe(false);
    // ... but expiring it releases only what it still owns: 09:00; b keeps 09:15 and 09:30.
    expect(await store.updateBooking(a, next(a, { status: 'expired', statusReason: 'not confirmed in time' }))).toBe(true);
    expect(await rawCell(t, 'niamh', '2026-12-03T09:00:00.000Z')).toBeUndefined();
    expect(await rawCell(t, 'niamh', '2026-12-03T09:15:00.000Z')).toMatchObject({ bookingId: b.bookingId });
    expect(await busyStarts(t)).toEqual(['niamh 09:15', 'niamh 09:30']);
    expect((await store.getBooking(t, a.bookingId))?.status).toBe('expired');
  });

  it('makes the locks permanent on confirmation, and keeps the customer copy in step', async () => {
    const t = newTenant();
    const a = draft({ tenantId: t, start: '2026-12-03T11:00:00.000Z' });
    expect((await store.hold(a)).ok).toBe(true);
    const confirmed = next(a, { status: 'confirmed', calendarEventId: 'evt-1' });
    expect(await store.updateBooking(a, confirmed)).toBe(true);
    const cell = await rawCell(t, 'niamh', '2026-12-03T11:00:00.000Z');
    expect(cell).toMatchObject({ bookingId: a.bookingId, state: 'confirmed' });
    expect(cell?.['expiresAt']).toBeUndefined();
    nowMs += minutes(60 * 24);
    expect(await busyStarts(t)).toEqual(['niamh 11:00', 'niamh 11:15', 'niamh 11:30']);
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T11:30:00.000Z', customerKey: 'email:d@example.com' }))).ok).toBe(false);
    expect(await store.listCustomerBookings(t, a.customerKey)).toEqual([confirmed]);
    expect(await store.getBooking(t, a.bookingId)).toEqual(confirmed);
  });

  it('saves a change only at the revision and status read; a skipped revision is a programming error', async () => {
    const t = newTenant();
    const a = draft({ tenantId: t, start: '2026-12-03T12:00:00.000Z' });
    expect((await store.hold(a)).ok).toBe(true);
    const awaiting = next(a, { status: 'awaiting_payment', holdExpiresAt: new Date(nowMs + minutes(35)).toISOString() });
    expect(await store.updateBooking(a, awaiting)).toBe(true);
    expect(await rawCell(t, 'niamh', '2026-12-03T12:15:00.000Z')).toMatchObject({ state: 'held', expiresAt: Math.ceil((nowMs + minutes(35)) / 1000) });
    expect(await store.updateBooking(a, next(a, { status: 'confirmed' }))).toBe(false); // stale
    await expect(store.updateBooking(awaiting, { ...awaiting, rev: awaiting.rev + 2 })).rejects.toThrow(/next.rev must be 3/);
    expect((await store.getBooking(t, a.bookingId))?.status).toBe('awaiting_payment');
  });

  it('releases the cells of a cancelled booking and marks its customer copy cancelled', async () => {
    const t = newTenant();
    const a = draft({ tenantId: t, start: '2026-12-03T15:00:00.000Z' });
    expect((await store.hold(a)).ok).toBe(true);
    const confirmed = next(a, { status: 'confirmed' });
    expect(await store.updateBooking(a, confirmed)).toBe(true);
    const cancelled = next(confirmed, { status: 'cancelled', statusReason: 'Cancelled by the customer' });
    expect(await store.updateBooking(confirmed, cancelled)).toBe(true);
    expect(await busyStarts(t)).toEqual([]);
    expect((await store.listCustomerBookings(t, a.customerKey)).map((b) => b.status)).toEqual(['cancelled']);
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T15:00:00.000Z', customerKey: 'email:e@example.com' }))).ok).toBe(true);
  });
});

describe('replaceBooking (a reschedule)', () => {
  it('changes nothing when the new time is taken, moves atomically when it is free (own cells count as free)', async () => {
    const t = newTenant();
    const a = draft({ tenantId: t, start: '2026-12-03T10:00:00.000Z', status: 'confirmed' });
    const other = draft({ tenantId: t, start: '2026-12-03T11:00:00.000Z', status: 'confirmed', customerKey: 'email:f@example.com' });
    expect((await store.hold({ ...a, status: 'held', holdExpiresAt: new Date(nowMs + minutes(10)).toISOString() })).ok).toBe(true);
    const held = await store.getBooking(t, a.bookingId);
    if (!held) throw new Error('not stored');
    const confirmedA = next(held, { status: 'confirmed' });
    expect(await store.updateBooking(held, confirmedA)).toBe(true);
    expect((await store.hold({ ...other, status: 'held', holdExpiresAt: new Date(nowMs + minutes(10)).toISOString() })).ok).toBe(true);

    const onOther = { ...draft({ tenantId: t, start: '2026-12-03T10:30:00.000Z', status: 'confirmed' }), rescheduledFrom: a.bookingId }; // 10:30-11:15 hits other's 11:00
    expect(await store.replaceBooking(confirmedA, onOther, { actor: 'staff', by: 'staff-sub' })).toEqual({ ok: false, reason: 'taken' });
    expect(await store.getBooking(t, a.bookingId)).toEqual(confirmedA);
    expect(await store.getBooking(t, onOther.bookingId)).toBeUndefined();
    expect(await busyStarts(t)).toEqual(['niamh 10:00', 'niamh 10:15', 'niamh 10:30', 'niamh 11:00', 'niamh 11:15', 'niamh 11:30']);

    const later = { ...draft({ tenantId: t, start: '2026-12-03T10:15:00.000Z', status: 'confirmed' }), rescheduledFrom: a.bookingId }; // 10:15-11:00, reuses 10:15 and 10:30
    expect(await store.replaceBooking(confirmedA, later, { actor: 'staff', by: 'staff-sub' })).toEqual({ ok: true, booking: later });
    const old = await store.getBooking(t, a.bookingId);
    // The old booking remembers its successor and who moved it, for that reschedule asked again (docs/decisions.md 97).
    expect(old).toMatchObject({ status: 'cancelled', rev: confirmedA.rev + 1, rescheduledTo: { bookingId: later.bookingId, actor: 'staff', by: 'staff-sub' } });
    expect(await busyStarts(t)).toEqual(['niamh 10:15', 'niamh 10:30', 'niamh 10:45', 'niamh 11:00', 'niamh 11:15', 'niamh 11:30']);
    expect(await rawCell(t, 'niamh', '2026-12-03T10:15:00.000Z')).toMatchObject({ bookingId: later.bookingId, state: 'confirmed' });
    expect((await store.listCustomerBookings(t, a.customerKey)).map((b) => [b.bookingId, b.status])).toEqual([
      [a.bookingId, 'cancelled'],
      [later.bookingId, 'confirmed'],
    ]);

    // A stale previous (already replaced) changes nothing.
    const again = { ...draft({ tenantId: t, start: '2026-12-03T16:00:00.000Z', status: 'confirmed' }), rescheduledFrom: a.bookingId };
    expect(await store.replaceBooking(confirmedA, again, { actor: 'staff', by: 'staff-sub' })).toEqual({ ok: false, reason: 'changed' });
    expect(await store.getBooking(t, again.bookingId)).toBeUndefined();
    expect(await rawCell(t, 'niamh', '2026-12-03T16:00:00.000Z')).toBeUndefined();
  });
});

describe('queries', () => {
  it('busyCells covers [from, to) across UTC days and only the staff asked for', async () => {
    const t = newTenant();
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T23:30:00.000Z', minutes: 45 }))).ok).toBe(true); // 23:30, 23:45, 00:00
    expect((await store.hold(draft({ tenantId: t, start: '2026-12-03T23:30:00.000Z', minutes: 15, staffId: 'marta' }))).ok).toBe(true);
    const starts = async (from: string, to: string, staff: readonly string[] = ['niamh']) => (await store.busyCells(t, staff, from, to, clock.now())).map((c) => `${c.staffId} ${c.start}`);
    expect(await starts('2026-12-03T23:45:00.000Z', '2026-12-04T00:15:00.000Z')).toEqual(['niamh 2026-12-03T23:45:00.000Z', 'niamh 2026-12-04T00:00:00.000Z']);
    expect(await starts('2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z')).toEqual(['niamh 2026-12-03T23:30:00.000Z', 'niamh 2026-12-03T23:45:00.000Z']);
    expect(await starts('2026-12-03T23:30:00.000Z', '2026-12-03T23:45:00.000Z', ['marta', 'niamh'])).toEqual(['marta 2026-12-03T23:30:00.000Z', 'niamh 2026-12-03T23:30:00.000Z']);
    expect(await starts('2026-12-03T00:00:00.000Z', '2026-12-05T00:00:00.000Z', [])).toEqual([]);
    expect(await starts('2026-12-05T00:00:00.000Z', '2026-12-06T00:00:00.000Z')).toEqual([]);
  });

  it('lists bookings starting in [from, to) by start, every status, and a customer\'s bookings apart from others\'', async () => {
    const t = newTenant();
    const late = draft({ tenantId: t, start: '2026-12-05T16:00:00.000Z', customerKey: 'email:g@example.com' });
    const early = draft({ tenantId: t, start: '2026-12-05T09:00:00.000Z', customerKey: 'email:g@example.com' });
    const nextDay = draft({ tenantId: t, start: '2026-12-06T00:00:00.000Z', customerKey: 'phone:+34600000099' });
    for (const b of [late, early, nextDay]) expect((await store.hold(b)).ok).toBe(true);
    const cancelledEarly = next(early, { status: 'cancelled' });
    expect(await store.updateBooking(early, cancelledEarly)).toBe(true);
    expect((await store.listBookings(t, '2026-12-05T00:00:00.000Z', '2026-12-06T00:00:00.000Z')).map((b) => b.bookingId)).toEqual([early.bookingId, late.bookingId]);
    expect((await store.listBookings(t, '2026-12-05T09:00:00.000Z', '2026-12-07T00:00:00.000Z')).map((b) => b.status)).toEqual(['cancelled', 'held', 'held']);
    expect(await store.listCustomerBookings(t, 'email:g@example.com')).toEqual([cancelledEarly, late]);
    expect(await store.listCustomerBookings(t, 'phone:+34600000099')).toEqual([nextDay]);
    expect(await store.listBookings(newTenant(), '2026-12-05T00:00:00.000Z', '2026-12-06T00:00:00.000Z')).toEqual([]);
  });

  it('round-trips the settings (validated both ways) and the payment task token', async () => {
    const t = newTenant();
    expect(await store.getBookingSettings(t)).toBeUndefined();
    const settings = { ...defaultBookingSettings, holdMinutes: 15, bufferMinutes: { checkup: 15 }, exceptions: [{ id: 'xmas', from: '2026-12-24', to: '2026-12-26', reason: 'Christmas' }] };
    await store.putBookingSettings(t, settings);
    expect(await store.getBookingSettings(t)).toEqual(settings);
    await expect(store.putBookingSettings(t, { ...settings, slotStepMinutes: 7 })).rejects.toThrow();
    await db.send(new PutCommand({ TableName: TABLE, Item: { ...keys.bookingSettings(t), settings: { ...settings, holdMinutes: -1 } } }));
    await expect(store.getBookingSettings(t)).rejects.toThrow();

    expect(await store.getPaymentToken(t, 'b-x')).toBeUndefined();
    await store.putPaymentToken(t, 'b-x', 'token-1');
    expect(await store.getPaymentToken(t, 'b-x')).toBe('token-1');
  });
});
