/**
 * Bookings through the staff REST API, end to end in the local cloud: local Cognito tokens, the local gateway,
 * the real bookings handler and use cases, DynamoDB Local, the booking workflow started from the bus.
 * Validation names the field; the tenant comes from the token only; agents book and cancel but cannot change
 * the settings; a slot is booked once (the second try gets 409 with alternatives) and is free again once cancelled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { documentClient } from '../../lambdas/adapters/aws/clients';
import { keys } from '../../lambdas/adapters/dynamo/keys';
import { defaultBookingSettings } from '../../lambdas/core/booking/ports';
import { bookingDeps, bookingStore, handoffStore, knowledgeStore, store } from '../../lambdas/adapters/container';
import { bookSlot, rescheduleBooking } from '../../lambdas/core/booking/service';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase } from '../../lambdas/core/knowledge-base';
import { zonedToUtc } from '../../lambdas/core/nlu/time';
import { futureWeekday } from '../support/days';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { startLocalCloud, type LocalCloud } from '../../local-cloud/index';
import { api, ensureStaff, eventually, signIn } from '../support/staff';

let cloud: LocalCloud;
const tokens = { admin: '', agent: '', otherAdmin: '' };
const B = 'bookings-b';
const B_ADMIN = { email: 'owner@bookings-b.example', password: 'Bookings-B-Owner-2026!' };
const TZ = 'Europe/Dublin';

const slot = z.object({ serviceId: z.string(), staffId: z.string(), start: z.string(), end: z.string() });
const booking = z.object({
  bookingId: z.string(),
  serviceId: z.string(),
  staffId: z.string(),
  start: z.string(),
  end: z.string(),
  status: z.string(),
  source: z.string(),
  channel: z.string(),
  customer: z.object({ name: z.string() }),
  partySize: z.number().int().optional(),
  rescheduledFrom: z.string().optional(),
});
const bookingResult = z.object({ booking });
const bookingWithPayment = booking.extend({ payment: z.object({ status: z.string(), checkoutUrl: z.string().optional() }) });
const errorReply = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });
const availability = z.object({ slots: z.array(slot), alternatives: z.array(slot), problem: z.string().optional() });
const list = z.object({ from: z.string(), to: z.string(), timezone: z.string(), items: z.array(booking) });


function sundayAfter(day: string): string {
  for (let i = 1; ; i++) {
    const d = new Date(Date.parse(`${day}T12:00:00Z`) + i * 86_400_000);
    if (d.getUTCDay() === 0) return d.toISOString().slice(0, 10);
  }
}

const nextDay = (d: string): string => new Date(Date.parse(`${d}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const at = (day: string, time: string): string => zonedToUtc(day, time, TZ).toISOString();
const day = futureWeekday(3);
const otherDay = futureWeekday(10);
const customer = { name: 'Aoife Byrne', phone: '+353 87 555 0101' };

async function freeStarts(date: string, staffId: string): Promise<string[]> {
  const res = await api(cloud, 'GET', `/v1/admin/availability?serviceId=checkup-clean&staffId=${staffId}&date=${date}`, tokens.admin);
  expect(res.status).toBe(200);
  return availability.parse(res.body).slots.map((s) => s.start);
}

beforeAll(async () => {
  cloud = await startLocalCloud({ quiet: true });
  const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));
  await provisionTenant(knowledgeStore(), {
    tenantId: B,
    widgetKey: newWidgetKey(B),
    allowedOrigins: [new URL(cloud.urls.demoSite).origin],
    kb: { ...demo, business: { ...demo.business, name: 'Other Clinic', slug: 'other-clinic-b' } },
  });
  await ensureStaff(cloud, [{ email: B_ADMIN.email, password: B_ADMIN.password, tenantId: B, groups: ['admin'] }]);
  tokens.admin = await signIn(cloud, cloud.demo.staffEmail, cloud.demo.staffPassword);
  tokens.agent = await signIn(cloud, 'agent@harbour-dental.example', 'Harbour-Agent-2026!');
  tokens.otherAdmin = await signIn(cloud, B_ADMIN.email, B_ADMIN.password);
}, 240_000);

afterAll(async () => {
  await cloud?.settle();
  await cloud?.stop();
});

describe('validation', () => {
  it.each([
    ['GET', '/v1/admin/bookings?from=yesterday', undefined, 'from'],
    ['GET', `/v1/admin/bookings?from=${day}&to=${day}`, undefined, 'to'],
    ['GET', '/v1/admin/bookings?from=2026-01-01&to=2026-04-01', undefined, 'to'],
    ['GET', '/v1/admin/availability?serviceId=checkup-clean&date=tomorrow', undefined, 'date'],
    ['GET', '/v1/admin/availability?serviceId=Not%20An%20Id', undefined, 'serviceId'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: 'next tuesday', customer }, 'start'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer: { name: 'No Contact' } }, 'customer.phone'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer, extra: 1 }, undefined],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer: { ...customer, name: 'Ana\nBcc: x@example.com' } }, 'customer.name'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer, partySize: 0 }, 'partySize'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer, partySize: 51 }, 'partySize'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer, partySize: 2.5 }, 'partySize'],
    ['POST', '/v1/admin/bookings', { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(day, '10:00'), customer, partySize: '4' }, 'partySize'],
    ['POST', '/v1/admin/bookings/abc-123456/reschedule', {}, 'start'],
    ['POST', '/v1/admin/bookings/abc-123456/cancel', { reason: 'x'.repeat(201) }, 'reason'],
    ['PUT', '/v1/admin/booking-settings', { slotStepMinutes: 20 }, 'slotStepMinutes'],
  ])('%s %s → 400 naming the field', async (method, path, body, field) => {
    const res = await api(cloud, method, path, tokens.admin, body);
    expect(res.status).toBe(400);
    const error = errorReply.parse(res.body).error;
    expect(error.code).toBe('bad_request');
    if (field !== undefined) expect(error.field).toBe(field);
  });

  // Found by fuzzing: dates that match YYYY-MM-DD but do not exist, or lie so far out that a bound is written
  // `+010000-…` (which sorts below `9999-…`), were 500s (RangeError, or DynamoDB refusing a reversed BETWEEN).
  it.each([
    ['from=2026-13-45', 'from', /not a date/],
    ['from=2026-99-99', 'from', /not a date/],
    ['to=2026-13-01', 'to', /not a date/],
    ['from=2026-02-30', 'from', /not a date/],
    ['from=0000-00-00', 'from', /not a date/],
    ['from=9999-12-25', 'from', /out of range/],
    ['from=9999-12-31T00:00:00Z', 'from', /out of range/],
    ['from=2026-03-01&to=9999-12-31', 'to', /out of range/],
    ['from=2026-13-01T10:00:00Z', 'from', /not a date/],
  ])('GET /v1/admin/bookings?%s → 400 naming %s and what is wrong', async (query, field, message) => {
    const res = await api(cloud, 'GET', `/v1/admin/bookings?${query}`, tokens.admin);
    expect(res.status).toBe(400);
    const error = errorReply.parse(res.body).error;
    expect(error).toMatchObject({ code: 'bad_request', field });
    expect(error.message).toMatch(message);
  });

  it('still lists valid edge dates: leap days and the first and last weeks of the accepted years', async () => {
    for (const query of ['from=2028-02-29', 'to=2028-03-01', 'from=2000-01-01', 'from=2199-12-31', 'from=2199-12-24&to=2199-12-31', 'from=2000-01-01T00:00:00%2B14:00']) {
      const res = await api(cloud, 'GET', `/v1/admin/bookings?${query}`, tokens.admin);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      const page = list.parse(res.body);
      expect(page.items).toEqual([]);
      expect(page.from < page.to).toBe(true);
    }
  });

  it('refuses exceptions whose days do not exist, are out of range or reversed, naming the field; keeps real ones', async () => {
    const settings = z.record(z.string(), z.unknown()).parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.admin)).body);
    const put = (exception: Record<string, string>) => api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, { ...settings, exceptions: [{ id: 'x', reason: '', ...exception }] });
    for (const [exception, field, message] of [
      [{ from: '2026-02-30', to: '2026-13-01' }, 'exceptions.0.from', /not a date/],
      [{ from: '2026-03-01', to: '2026-13-01' }, 'exceptions.0.to', /not a date/],
      [{ from: '2026-03-01', to: '9999-12-31' }, 'exceptions.0.to', /out of range/],
      [{ from: '2026-03-10', to: '2026-03-02' }, 'exceptions.0.to', /must not be after to|must not be before from/],
    ] as const) {
      const res = await put(exception);
      expect({ exception, status: res.status }).toEqual({ exception, status: 400 });
      const error = errorReply.parse(res.body).error;
      expect(error).toMatchObject({ code: 'bad_request', field });
      expect(error.message).toMatch(message);
    }
    const after = z.record(z.string(), z.unknown()).parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.admin)).body);
    expect(after['exceptions']).toEqual(settings['exceptions']);

    const leap = { id: 'leap', from: '2028-02-29', to: '2028-02-29', reason: '' };
    const ok = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, { ...settings, exceptions: [leap] });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ exceptions: [leap] });
    expect((await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, settings)).status).toBe(200);
  });

  it('still reads an exception stored before days were checked, so an admin can see and replace it', async () => {
    const legacy = { id: 'legacy', from: '2026-02-30', to: '2026-13-01', reason: '' };
    await documentClient(process.env['AWS_ENDPOINT_URL_DYNAMODB']).send(
      new PutCommand({ TableName: process.env['TABLE_NAME'], Item: { ...keys.bookingSettings(B), settings: { ...defaultBookingSettings, exceptions: [legacy] } } }),
    );
    const read = await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.otherAdmin);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ exceptions: [legacy] });
    const fixed = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...defaultBookingSettings, exceptions: [] });
    expect(fixed.status).toBe(200);
    expect((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.otherAdmin)).body).toMatchObject({ exceptions: [] });
  });

  it('never sends DynamoDB reversed bounds, whatever range reaches the store', async () => {
    await expect(bookingStore().listBookings('bookings-b', '9999-12-25T00:00:00.000Z', '+010000-01-01T00:00:00.000Z')).resolves.toEqual([]);
    await expect(bookingStore().listBookings('bookings-b', '2026-01-01T00:00:00.000Z', '+010000-01-01T00:00:00.000Z')).resolves.toEqual(expect.any(Array));
  });

  it('refuses settings with duplicate exception ids or an unknown staff member, naming the field', async () => {
    const settings = z.record(z.string(), z.unknown()).parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.admin)).body);
    const ex = { id: 'x', from: day, to: day, reason: '' };
    const dup = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, { ...settings, exceptions: [ex, ex] });
    expect(dup.status).toBe(400);
    expect(errorReply.parse(dup.body).error.field).toBe('exceptions.1.id');
    const unknown = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, { ...settings, exceptions: [{ ...ex, staffId: 'nobody' }] });
    expect(unknown.status).toBe(400);
    expect(errorReply.parse(unknown.body).error.field).toBe('exceptions.0.staffId');
  });

  it('refuses a slot the business is closed for with 400 and the problem', async () => {
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.admin, {
      serviceId: 'checkup-clean',
      staffId: 'marta-ruiz',
      start: at(sundayAfter(day), '11:00'),
      customer,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'bad_request', field: 'start' }, problem: 'closed' });
  });
});

describe('roles', () => {
  it('lets an agent read the settings but not change them (403)', async () => {
    const read = await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.agent);
    expect(read.status).toBe(200);
    const res = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.agent, read.body);
    expect(res.status).toBe(403);
    expect(errorReply.parse(res.body).error.code).toBe('forbidden');
  });
});

describe('manual bookings', () => {
  let bookingId = '';
  const start = at(day, '10:00');

  it('books a free slot (201), recorded as a staff booking', async () => {
    expect(await freeStarts(day, 'marta-ruiz')).toContain(start);
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, customer, lang: 'en' });
    expect(res.status).toBe(201);
    const created = bookingResult.parse(res.body).booking;
    expect(created).toMatchObject({ serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, source: 'staff', channel: 'staff', customer: { name: 'Aoife Byrne' } });
    expect(Date.parse(created.end) - Date.parse(created.start)).toBe(45 * 60_000);
    expect(['held', 'confirmed']).toContain(created.status);
    expect(res.text).not.toContain('cells');
    bookingId = created.bookingId;
  });

  it('refuses the same slot again with 409 and free alternatives', async () => {
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.admin, {
      serviceId: 'checkup-clean',
      staffId: 'marta-ruiz',
      start,
      customer: { name: 'Second Customer', email: 'second@example.com' },
    });
    expect(res.status).toBe(409);
    const body = z.object({ error: z.object({ code: z.literal('conflict') }), alternatives: z.array(slot) }).parse(res.body);
    expect(body.alternatives.length).toBeGreaterThan(0);
    expect(body.alternatives.some((a) => a.staffId === 'marta-ruiz' && a.start === start)).toBe(false);
  });

  it('shows it in the calendar range and by id, and the slot is no longer free', async () => {
    const range = await api(cloud, 'GET', `/v1/admin/bookings?from=${day}&to=${nextDay(day)}`, tokens.agent);
    expect(range.status).toBe(200);
    const parsed = list.parse(range.body);
    expect(parsed.timezone).toBe(TZ);
    expect(parsed.from).toBe(at(day, '00:00'));
    expect(parsed.items.map((b) => b.bookingId)).toContain(bookingId);
    const one = await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, tokens.agent);
    expect(one.status).toBe(200);
    expect(bookingResult.parse(one.body).booking.bookingId).toBe(bookingId);
    expect(await freeStarts(day, 'marta-ruiz')).not.toContain(start);
  });

  it("never shows or changes it for another tenant's admin (404, empty calendar)", async () => {
    expect((await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, tokens.otherAdmin)).status).toBe(404);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.otherAdmin, {})).status).toBe(404);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/reschedule`, tokens.otherAdmin, { start: at(day, '11:00') })).status).toBe(404);
    const theirs = await api(cloud, 'GET', `/v1/admin/bookings?from=${day}`, tokens.otherAdmin);
    expect(theirs.status).toBe(200);
    expect(list.parse(theirs.body).items).toEqual([]);
    // Tenant B has the same services and staff: the time is free there.
    const free = await api(cloud, 'GET', `/v1/admin/availability?serviceId=checkup-clean&staffId=marta-ruiz&date=${day}`, tokens.otherAdmin);
    expect(availability.parse(free.body).slots.map((s) => s.start)).toContain(start);
    const still = await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, tokens.admin);
    expect(bookingResult.parse(still.body).booking.status).not.toBe('cancelled');
  });

  it('cancels it (an agent may) and the slot is free again', async () => {
    await cloud.settle();
    const res = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.agent, { reason: 'Customer phoned to cancel' });
    expect(res.status).toBe(200);
    const body = z.object({ booking, refunded: z.boolean() }).parse(res.body);
    expect(body.booking.status).toBe('cancelled');
    expect(body.refunded).toBe(false);
    expect(await freeStarts(day, 'marta-ruiz')).toContain(start);
    // The same agent again (their first answer lost): the same answer, idempotent (docs/decisions.md 92).
    const again = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.agent, {});
    expect(again.status).toBe(200);
    expect(z.object({ booking, refunded: z.boolean() }).parse(again.body)).toMatchObject({ booking: { bookingId, status: 'cancelled' }, refunded: false });
    // Anyone else is told it is no longer active.
    const other = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.admin, {});
    expect(other.status).toBe(409);
  });

  it('reschedules a booking: the new time is taken, the old one freed', async () => {
    const first = at(otherDay, '14:00');
    const moved = at(otherDay, '15:30');
    const created = await api(cloud, 'POST', '/v1/admin/bookings', tokens.admin, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: first, customer });
    expect(created.status).toBe(201);
    const original = bookingResult.parse(created.body).booking;
    await cloud.settle();
    const res = await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.admin, { start: moved });
    expect(res.status).toBe(200);
    const next = bookingResult.parse(res.body).booking;
    expect(next).toMatchObject({ start: moved, staffId: 'marta-ruiz', rescheduledFrom: original.bookingId });
    const old = bookingResult.parse((await api(cloud, 'GET', `/v1/admin/bookings/${original.bookingId}`, tokens.admin)).body).booking;
    expect(old.status).toBe('cancelled');
    const free = await freeStarts(otherDay, 'marta-ruiz');
    expect(free).toContain(first);
    expect(free).not.toContain(moved);
    await cloud.settle();
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${next.bookingId}/cancel`, tokens.admin, {})).status).toBe(200);
  });

  it('refuses to move a booking to the time it already has: 409 naming start, and nothing changes', async () => {
    const name = 'Ciara Walsh';
    const start = (await freeStarts(otherDay, 'marta-ruiz'))[0];
    if (!start) throw new Error(`no free start on ${otherDay}`);
    const created = await api(cloud, 'POST', '/v1/admin/bookings', tokens.admin, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, customer: { name, email: 'ciara@example.com' } });
    expect(created.status).toBe(201);
    const original = bookingResult.parse(created.body).booking;
    await cloud.settle();
    const before = bookingResult.parse((await api(cloud, 'GET', `/v1/admin/bookings/${original.bookingId}`, tokens.admin)).body).booking;
    // The same instant however it is written, with or without the staff member named.
    const sameInstant = start.replace('.000Z', 'Z');
    for (const body of [{ start }, { start: sameInstant, staffId: 'marta-ruiz' }]) {
      const res = await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.admin, body);
      expect({ status: res.status, error: errorReply.parse(res.body).error }).toEqual({
        status: 409,
        error: { code: 'conflict', field: 'start', message: `start: the booking is already at ${original.start} with marta-ruiz; nothing was changed` },
      });
    }
    await cloud.settle();
    const after = bookingResult.parse((await api(cloud, 'GET', `/v1/admin/bookings/${original.bookingId}`, tokens.admin)).body).booking;
    expect(after).toEqual(before);
    const day = list.parse((await api(cloud, 'GET', `/v1/admin/bookings?from=${otherDay}&to=${nextDay(otherDay)}`, tokens.admin)).body);
    expect(day.items.filter((b) => b.customer.name === name).map((b) => [b.bookingId, b.status])).toEqual([[original.bookingId, before.status]]);
    expect(await freeStarts(otherDay, 'marta-ruiz')).not.toContain(start);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/cancel`, tokens.admin, {})).status).toBe(200);
  });
});

describe('how many people a booking is for (docs/decisions.md 114)', () => {
  it('is stored from the staff form, shown by id and in the calendar range, kept by a move, and told to staff and the customer', async () => {
    const partyDay = futureWeekday(17);
    const [start] = await freeStarts(partyDay, 'marta-ruiz');
    const email = 'party@example.com';
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start, customer: { name: 'Group Booker', email }, partySize: 4 });
    expect(res.status).toBe(201);
    const created = bookingResult.parse(res.body).booking;
    expect(created.partySize).toBe(4);
    const one = bookingResult.parse((await api(cloud, 'GET', `/v1/admin/bookings/${created.bookingId}`, tokens.agent)).body).booking;
    expect(one.partySize).toBe(4);
    const range = list.parse((await api(cloud, 'GET', `/v1/admin/bookings?from=${partyDay}&to=${nextDay(partyDay)}`, tokens.agent)).body);
    expect(range.items.find((b) => b.bookingId === created.bookingId)?.partySize).toBe(4);
    await cloud.settle();
    const outbox = (await handoffStore().listOutbox(cloud.demo.tenantId, 200)).filter((e) => e.kind === 'booking.confirmed' && e.bookingId === created.bookingId);
    const toStaff = outbox.find((e) => e.subject.startsWith('New booking:'));
    expect(toStaff?.subject).toMatch(/^New booking: Check-up & clean for 4, /);
    expect(toStaff?.text).toContain('Party: 4 people');
    expect(outbox.find((e) => e.to.includes(email))?.text).toContain('Check-up & clean for 4 with Marta Ruiz');
    // Moved: the new booking is for the same party.
    const later = (await freeStarts(partyDay, 'marta-ruiz')).find((s) => s !== start);
    const moved = await api(cloud, 'POST', `/v1/admin/bookings/${created.bookingId}/reschedule`, tokens.agent, { start: later });
    expect(moved.status).toBe(200);
    expect(bookingResult.parse(moved.body).booking.partySize).toBe(4);
    await cloud.settle();
    // Not said: no partySize at all (not 0, not null).
    const [free] = await freeStarts(partyDay, 'marta-ruiz');
    const unsaid = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: free, customer });
    expect(unsaid.status).toBe(201);
    expect(z.object({ booking: z.record(z.string(), z.unknown()) }).parse(unsaid.body).booking).not.toHaveProperty('partySize');
  });
});

describe('a reschedule asked again', () => {
  const view = z.object({ booking: z.record(z.string(), z.unknown()) });
  const confirmations = async (bookingId: string, email: string) =>
    (await handoffStore().listOutbox(cloud.demo.tenantId, 200)).filter((e) => e.kind === 'booking.confirmed' && e.bookingId === bookingId && e.to.includes(email));

  it('answers the same staff member with the same new booking and tells the customer once; 409 for anyone else or another time (docs/decisions.md 97)', async () => {
    const email = 'orla@example.com';
    const created = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(otherDay, '10:00'), customer: { name: 'Órla Kelly', email } });
    expect(created.status).toBe(201);
    const original = bookingResult.parse(created.body).booking;
    await cloud.settle();
    const moved = at(otherDay, '11:30');
    const res = await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.agent, { start: moved });
    expect(res.status).toBe(200);
    const next = bookingResult.parse(res.body).booking;
    expect(next).toMatchObject({ start: moved, rescheduledFrom: original.bookingId });
    await cloud.settle();
    expect(await confirmations(next.bookingId, email)).toHaveLength(1);

    // The answer was lost (or the publish failed): the agent presses Reschedule again. Was: 409 "no longer active".
    const stored = view.parse((await api(cloud, 'GET', `/v1/admin/bookings/${next.bookingId}`, tokens.agent)).body);
    const again = await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.agent, { start: moved });
    expect(again.status).toBe(200);
    expect(view.parse(again.body)).toEqual(stored);
    // The first answer's body, but for the time the booking's workflow last touched it.
    expect({ ...view.parse(again.body).booking, updatedAt: '' }).toEqual({ ...view.parse(res.body).booking, updatedAt: '' });
    await cloud.settle();
    // The events went out again; the workflow they start again finds the new booking taken care of: one confirmation.
    expect(await confirmations(next.bookingId, email)).toHaveLength(1);
    expect(bookingResult.parse((await api(cloud, 'GET', `/v1/admin/bookings/${next.bookingId}`, tokens.agent)).body).booking.status).toBe('confirmed');

    // Another staff member, or another time: 409, nothing moved.
    const other = await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.admin, { start: moved });
    expect(other.status).toBe(409);
    expect(errorReply.parse(other.body).error.message).toBe('the booking is no longer active');
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.agent, { start: at(otherDay, '12:30') })).status).toBe(409);
    const day = list.parse((await api(cloud, 'GET', `/v1/admin/bookings?from=${otherDay}&to=${nextDay(otherDay)}`, tokens.agent)).body);
    expect(day.items.filter((b) => b.customer.name === 'Órla Kelly').map((b) => [b.bookingId, b.status])).toEqual([
      [original.bookingId, 'cancelled'],
      [next.bookingId, 'confirmed'],
    ]);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${next.bookingId}/cancel`, tokens.agent, {})).status).toBe(200);
  });

  it('whose events were lost publishes them again: the new booking is confirmed to the customer, once', async () => {
    const email = 'sean@example.com';
    const created = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(otherDay, '16:00'), customer: { name: 'Seán Murphy', email } });
    expect(created.status).toBe(201);
    const original = bookingResult.parse(created.body).booking;
    const agent = z.object({ booking: z.object({ by: z.string() }) }).parse(created.body).booking.by;
    await cloud.settle();
    // The agent's first press: the move is written, then the bus fails past the SDK's retries (the handler's 500).
    const moved = at(otherDay, '17:00');
    const slot = { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: moved, end: new Date(Date.parse(moved) + 45 * 60_000).toISOString() };
    const down = { ...bookingDeps(), events: { publish: () => Promise.reject(new Error('EventBridge is down')) } };
    await expect(rescheduleBooking(down, { tenantId: cloud.demo.tenantId, bookingId: original.bookingId, slot, actor: 'staff', by: agent })).rejects.toThrow(/EventBridge is down/);
    await cloud.settle();
    const stranded = list.parse((await api(cloud, 'GET', `/v1/admin/bookings?from=${otherDay}&to=${nextDay(otherDay)}`, tokens.agent)).body).items.find((b) => b.rescheduledFrom === original.bookingId);
    if (!stranded) throw new Error('no new booking');
    expect(stranded).toMatchObject({ start: moved, status: 'confirmed' });
    expect(await confirmations(stranded.bookingId, email)).toEqual([]); // nobody started its workflow

    // The agent presses again: 200 with that booking, and its workflow now tells the customer.
    const again = await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.agent, { start: moved });
    expect(again.status).toBe(200);
    expect(bookingResult.parse(again.body).booking).toMatchObject({ bookingId: stranded.bookingId, start: moved, rescheduledFrom: original.bookingId });
    await cloud.settle();
    expect(await confirmations(stranded.bookingId, email)).toHaveLength(1);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${original.bookingId}/reschedule`, tokens.agent, { start: moved })).status).toBe(200);
    await cloud.settle();
    expect(await confirmations(stranded.bookingId, email)).toHaveLength(1);
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${stranded.bookingId}/cancel`, tokens.agent, {})).status).toBe(200);
  });
});

describe('deposits and cancellations by staff', () => {
  const later = futureWeekday(17);
  const getBooking = async (bookingId: string) => bookingWithPayment.parse(z.object({ booking: z.unknown() }).parse((await api(cloud, 'GET', `/v1/admin/bookings/${bookingId}`, tokens.agent)).body).booking);

  it("shows a deposit's payment link on the booking while it is due, so staff can pass it on to a customer without e-mail", async () => {
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, { serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start: at(later, '09:30'), customer });
    expect(res.status).toBe(201);
    const { bookingId } = bookingResult.parse(res.body).booking;
    const link = await eventually(async () => (await getBooking(bookingId)).payment.checkoutUrl, 'the payment link on the booking', 90_000);
    expect(link).toMatch(/^http.*\/checkout\//);
    expect((await getBooking(bookingId)).payment.status).toBe('pending');

    const cancelled = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.agent, {});
    expect(cancelled.status).toBe(200);
    expect(bookingWithPayment.parse(z.object({ booking: z.unknown() }).parse(cancelled.body).booking).payment.checkoutUrl).toBeUndefined();
  });

  it('tells the customer by e-mail when staff cancel a booking made without a conversation', async () => {
    const res = await api(cloud, 'POST', '/v1/admin/bookings', tokens.agent, {
      serviceId: 'checkup-clean',
      staffId: 'marta-ruiz',
      start: at(later, '12:00'),
      customer: { name: 'Ciara Walsh', email: 'ciara@example.com' },
    });
    expect(res.status).toBe(201);
    const { bookingId } = bookingResult.parse(res.body).booking;
    await cloud.settle();
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.agent, { reason: 'Hygienist off sick' })).status).toBe(200);
    const told = (await handoffStore().listOutbox(cloud.demo.tenantId, 100)).filter((e) => e.kind === 'booking.cancelled' && e.bookingId === bookingId);
    expect(told.map((e) => e.to)).toEqual([['ciara@example.com']]);
    expect(told[0]?.text).toContain("Sorry, we've had to cancel your Check-up & clean with Marta Ruiz");
    expect(told[0]?.text).not.toContain('Hygienist off sick');
    // Cancelled again by the same agent (an answer lost): the customer is not e-mailed twice.
    expect((await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.agent, {})).status).toBe(200);
    await cloud.settle();
    expect((await handoffStore().listOutbox(cloud.demo.tenantId, 100)).filter((e) => e.kind === 'booking.cancelled' && e.bookingId === bookingId)).toHaveLength(1);
  });

  it('tells the customer in their conversation, in their language, that the business cancelled and the paid deposit is refunded', async () => {
    const tenantId = cloud.demo.tenantId;
    const { conversationId } = await store().startConversation(tenantId, 'visitor-staff-cancel', 'es');
    const start = at(later, '14:00');
    const booked = await bookSlot(bookingDeps(), {
      tenantId,
      slot: { serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start, end: new Date(Date.parse(start) + 90 * 60_000).toISOString() },
      customer: { name: 'Lucía Pérez', phone: '+34 600 000 077' },
      conversationId,
      channel: 'web',
      lang: 'es',
      source: 'concierge',
    });
    if (!booked.ok) throw new Error(`not booked: ${booked.reason}`);
    const { bookingId } = booked.booking;
    await eventually(async () => ((await bookingStore().getPaymentToken(tenantId, bookingId)) ? true : undefined), 'the workflow to wait for the deposit', 90_000);
    const detail = { tenantId, bookingId, paymentId: 'pi_test_staff_cancel', amountCents: 5000, eventId: 'evt_staff_cancel' };
    cloud.bus.putEvents([{ Source: 'concierge', DetailType: 'payment.succeeded', Detail: JSON.stringify(detail), EventBusName: cloud.env['EVENT_BUS_NAME'] ?? '' }]);
    await eventually(async () => ((await getBooking(bookingId)).status === 'confirmed' ? true : undefined), 'the booking to be confirmed', 90_000);
    await cloud.settle();

    const res = await api(cloud, 'POST', `/v1/admin/bookings/${bookingId}/cancel`, tokens.admin, {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ refunded: true, booking: { status: 'cancelled', payment: { status: 'refunded' } } });
    const bot = (await store().listMessages(tenantId, conversationId, 0, 200)).filter((m) => m.role === 'bot').map((m) => m.text);
    const told = bot.filter((t) => t.startsWith('Lo sentimos: hemos tenido que cancelar su reserva'));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('Le devolvemos la señal de 50,00\u00a0€');
    // Told in the conversation, not by e-mail as well.
    expect((await handoffStore().listOutbox(tenantId, 100)).filter((e) => e.kind === 'booking.cancelled' && e.bookingId === bookingId)).toEqual([]);
  });
});

describe('booking settings', () => {
  it('stores an exception that closes the day for availability and booking, and lists every service without serviceId', async () => {
    const before = z.record(z.string(), z.unknown()).parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.admin)).body);
    const holiday = { id: 'test-holiday', from: otherDay, to: otherDay, reason: 'Staff training' };
    const put = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, { ...before, exceptions: [holiday], bufferMinutes: { 'checkup-clean': 15 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ exceptions: [holiday], bufferMinutes: { 'checkup-clean': 15 } });
    const read = await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.agent);
    expect(read.body).toMatchObject({ exceptions: [holiday] });

    const closed = availability.parse((await api(cloud, 'GET', `/v1/admin/availability?serviceId=checkup-clean&date=${otherDay}`, tokens.admin)).body);
    expect(closed.slots).toEqual([]);
    expect(closed.problem).toBe('closed');
    const refused = await api(cloud, 'POST', '/v1/admin/bookings', tokens.admin, { serviceId: 'checkup-clean', staffId: 'marta-ruiz', start: at(otherDay, '10:00'), customer });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ problem: 'closed' });

    const everything = availability.parse((await api(cloud, 'GET', `/v1/admin/availability?date=${day}`, tokens.admin)).body);
    const services = new Set(everything.slots.map((s) => s.serviceId));
    expect(services.has('checkup-clean') && services.has('teeth-whitening')).toBe(true);

    const restored = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.admin, before);
    expect(restored.status).toBe(200);
    expect(availability.parse((await api(cloud, 'GET', `/v1/admin/availability?serviceId=checkup-clean&date=${otherDay}`, tokens.admin)).body).slots.length).toBeGreaterThan(0);
  });
});

// Removing a staff member or a service (Services & hours, or a knowledge-base import) used to leave their time off
// and buffer stored: once the cached catalogue caught up (a minute later), every settings save was refused 400 naming
// them, even one changing only the minimum notice. Meanwhile the cache let time off of a just-removed member in, and
// refused time off of a member just added. Now the check reads the catalogue as it is (by kbVersion): stored entries
// of removed staff or services are dropped, new ones naming them are refused (docs/decisions.md, 100).
describe('booking settings after staff or services are removed', () => {
  const knowledge = z.object({ staff: z.array(z.object({ id: z.string(), serviceIds: z.array(z.string()) }).passthrough()), services: z.array(z.object({ id: z.string() }).passthrough()) }).passthrough();
  const settingsReply = z.object({ minNoticeMinutes: z.number(), bufferMinutes: z.record(z.string(), z.number()), exceptions: z.array(z.object({ id: z.string(), staffId: z.string().optional() }).passthrough()) }).passthrough();
  const martaOff = { id: 'marta-off', from: otherDay, to: otherDay, reason: 'Training', staffId: 'marta-ruiz' };
  const christmas = { id: 'christmas', from: nextDay(otherDay), to: nextDay(otherDay), reason: 'Closed' };
  let kb: z.infer<typeof knowledge>;
  let original: Record<string, unknown>;

  beforeAll(async () => {
    kb = knowledge.parse((await api(cloud, 'GET', '/v1/admin/knowledge', tokens.otherAdmin)).body);
    original = z.record(z.string(), z.unknown()).parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.otherAdmin)).body);
  });
  afterAll(async () => {
    await api(cloud, 'PUT', '/v1/admin/knowledge', tokens.otherAdmin, kb);
    await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, original);
  });

  it('drops the stored time off of a removed staff member (and the buffer of a removed service) instead of refusing an unrelated change', async () => {
    const first = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...original, exceptions: [martaOff, christmas], bufferMinutes: { 'teeth-whitening': 10, 'checkup-clean': 5 } });
    expect(first.status).toBe(200);

    // Marta and teeth whitening leave the knowledge base (an import, as the knowledge page or another tool does).
    const without = {
      ...kb,
      staff: kb.staff.filter((m) => m.id !== 'marta-ruiz').map((m) => ({ ...m, serviceIds: m.serviceIds.filter((s) => s !== 'teeth-whitening') })),
      services: kb.services.filter((s) => s.id !== 'teeth-whitening'),
    };
    const imported = await api(cloud, 'PUT', '/v1/admin/knowledge', tokens.otherAdmin, without);
    expect({ status: imported.status, body: imported.status === 200 ? undefined : imported.body }).toEqual({ status: 200 });

    // The owner changes only the minimum notice, sending the settings as read.
    const read = settingsReply.parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.otherAdmin)).body);
    expect(read.exceptions.map((e) => e.id)).toEqual(['marta-off', 'christmas']);
    const res = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...read, minNoticeMinutes: 120 });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    const stored = settingsReply.parse(res.body);
    expect(stored.minNoticeMinutes).toBe(120);
    expect(stored.exceptions.map((e) => e.id)).toEqual(['christmas']);
    expect(stored.bufferMinutes).toEqual({ 'checkup-clean': 5 });
    expect(settingsReply.parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.otherAdmin)).body)).toMatchObject({ minNoticeMinutes: 120, exceptions: [christmas] });

    // Saving again is not stuck either.
    expect((await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...stored, minNoticeMinutes: 90 })).status).toBe(200);
  });

  it('still refuses new time off for someone not on the staff, and takes it for someone added a moment ago', async () => {
    const current = settingsReply.parse((await api(cloud, 'GET', '/v1/admin/booking-settings', tokens.otherAdmin)).body);
    const ghost = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...current, exceptions: [...current.exceptions, { ...martaOff, id: 'marta-again' }] });
    expect(ghost.status).toBe(400);
    expect(errorReply.parse(ghost.body).error).toMatchObject({ code: 'bad_request', field: `exceptions.${current.exceptions.length}.staffId` });
    expect(errorReply.parse(ghost.body).error.message).toContain('unknown staff member "marta-ruiz"');
    const newService = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...current, bufferMinutes: { ...current.bufferMinutes, 'teeth-whitening': 10 } });
    expect(newService.status).toBe(400);
    expect(errorReply.parse(newService.body).error.field).toBe('bufferMinutes.teeth-whitening');

    // Ana joins (the knowledge base changes), and gets time off straight away: not refused by a stale catalogue.
    const withAna = knowledge.parse((await api(cloud, 'GET', '/v1/admin/knowledge', tokens.otherAdmin)).body);
    const joined = await api(cloud, 'PUT', '/v1/admin/knowledge', tokens.otherAdmin, { ...withAna, staff: [...withAna.staff, { id: 'ana-lopez', name: 'Ana López', role: 'Hygienist', serviceIds: ['checkup-clean'] }] });
    expect(joined.status).toBe(200);
    const anaOff = { id: 'ana-off', from: otherDay, to: otherDay, reason: '', staffId: 'ana-lopez' };
    const res = await api(cloud, 'PUT', '/v1/admin/booking-settings', tokens.otherAdmin, { ...current, exceptions: [...current.exceptions, anaOff] });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    expect(settingsReply.parse(res.body).exceptions.map((e) => e.id)).toContain('ana-off');
  });
});
