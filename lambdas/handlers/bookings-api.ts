/**
 * Staff REST routes of bookings: the calendar (bookings in a range, one
 * booking), manual bookings, cancel and reschedule on a customer's behalf,
 * free slots for the booking form, and the booking settings (exceptions,
 * buffers, notice, reminders, hold and payment times). The tenant always comes
 * from the verified token; roles come from the route's `auth` in the
 * declaration (agents may book and cancel, only admins change the settings).
 * The use cases live in core/booking/service.ts; this module parses, calls one
 * of them and shapes the reply.
 */
import { z } from 'zod';
import { bookingDeps, bookingWorkflowDeps, store } from '../adapters/container';
import { DomainError, badRequest, conflict, notFound, unauthorized } from '../core/errors';
import { calendarDateSchema, dateOrInstantSchema, instantSchema } from '../core/dates';
import { bookingSettingsSchema, PARTY_SIZE_MAX, type Booking, type BookingSettings, type Slot } from '../core/booking/ports';
import { bookSlot, bookingCustomerSchema, bookingSettingsOf, cancelBooking, findSlots, markNoShow, rescheduleBooking, type BookingDeps } from '../core/booking/service';
import type { SlotProblem } from '../core/booking/availability';
import { tellCancelledByStaff } from '../core/booking/workflow';
import type { TenantCatalogue } from '../core/nlu/catalogue';
import { zonedToUtc } from '../core/nlu/time';
import { auditFields } from '../core/audit';
import { errorBody, restApi, type RestRequest, type StaffCaller } from './lib/rest';
import { logger } from './lib/powertools';

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

/** The longest range the calendar may ask for at once. */
export const MAX_RANGE_DAYS = 62;
const DAY_MS = 24 * 3600_000;

const bookingId = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'must be 6-64 characters of A-Z a-z 0-9 _ -');
const itemId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 characters of a-z 0-9 _ - (lower case)');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');

const rangeQuery = z.object({ from: dateOrInstantSchema.optional(), to: dateOrInstantSchema.optional() });
const bookingPath = z.object({ bookingId });
const availabilityQuery = z.object({
  serviceId: itemId.optional(),
  staffId: itemId.optional(),
  date: calendarDateSchema.optional(),
  after: hhmm.optional(),
  before: hhmm.optional(),
  limit: z.coerce.number().int().min(1).max(96).default(48),
});
const newBookingBody = z.strictObject({
  serviceId: itemId,
  staffId: itemId,
  start: instantSchema,
  customer: bookingCustomerSchema,
  /** How many people it is for ("a table for 4"); absent: not said. */
  partySize: z.number().int('must be a whole number').min(1, 'must be at least 1').max(PARTY_SIZE_MAX, `must be at most ${PARTY_SIZE_MAX}`).optional(),
  lang: z.string().regex(/^[a-z]{2}$/, 'must be a two-letter language code').default('en'),
});
// One line, as the Bookings page's field gives it: it goes into e-mails, calendar events and webhook payloads.
const cancelBody = z.strictObject({
  reason: z
    .string()
    .trim()
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'must be one line without control characters')
    .default(''),
});
const rescheduleBody = z.strictObject({ start: instantSchema, staffId: itemId.optional() });
const settingsBody = bookingSettingsSchema.superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.exceptions.forEach((e, i) => {
    if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: ['exceptions', i, 'id'], message: `duplicate id ${e.id}` });
    seen.add(e.id);
  });
});

/**
 * What the API says about a booking: never its lock cells, workflow execution or checkout internals — only the
 * checkout's link while the deposit is due, so staff can pass it on (by phone) to a customer without e-mail.
 */
export function bookingView(b: Booking) {
  return {
    bookingId: b.bookingId,
    serviceId: b.serviceId,
    staffId: b.staffId,
    start: b.start,
    end: b.end,
    customer: b.customer,
    ...(b.partySize !== undefined ? { partySize: b.partySize } : {}),
    status: b.status,
    ...(b.statusReason !== undefined ? { statusReason: b.statusReason } : {}),
    priceCents: b.priceCents,
    depositCents: b.depositCents,
    currency: b.currency,
    payment: {
      status: b.payment.status,
      ...(b.payment.provider !== undefined ? { provider: b.payment.provider } : {}),
      ...(b.status === 'awaiting_payment' && b.payment.status === 'pending' && b.payment.checkoutUrl !== undefined ? { checkoutUrl: b.payment.checkoutUrl } : {}),
      ...(b.payment.paymentId !== undefined ? { paymentId: b.payment.paymentId } : {}),
      ...(b.payment.paidAt !== undefined ? { paidAt: b.payment.paidAt } : {}),
      ...(b.payment.refundedAt !== undefined ? { refundedAt: b.payment.refundedAt } : {}),
    },
    ...(b.holdExpiresAt !== undefined ? { holdExpiresAt: b.holdExpiresAt } : {}),
    ...(b.conversationId !== undefined ? { conversationId: b.conversationId } : {}),
    channel: b.channel,
    lang: b.lang,
    source: b.source,
    ...(b.by !== undefined ? { by: b.by } : {}),
    ...(b.rescheduledFrom !== undefined ? { rescheduledFrom: b.rescheduledFrom } : {}),
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

const problemMessages: Readonly<Record<SlotProblem, string>> = {
  unknown_service: 'there is no such service',
  unknown_staff: 'there is no such staff member',
  staff_does_not_do_service: 'that staff member does not do this service',
  past: 'that time is in the past or too soon (minimum notice)',
  // Also a start off the booking grid (09:07 on an open morning): say so, not only "closed".
  closed: 'that time is not a start that can be booked: the business or the staff member is closed then, or it is not one of the starts GET /v1/admin/availability offers (the booking grid)',
  beyond_horizon: 'that day is further ahead than bookings are taken',
  fully_booked: 'that time is not free',
};
const problemField: Readonly<Record<SlotProblem, string>> = {
  unknown_service: 'serviceId',
  unknown_staff: 'staffId',
  staff_does_not_do_service: 'staffId',
  past: 'start',
  closed: 'start',
  beyond_horizon: 'start',
  fully_booked: 'start',
};

/** 400 naming why the slot cannot be booked (`problem`, one of SlotProblem). */
const invalidSlot = (problem: SlotProblem) => ({ status: 400, body: { ...errorBody('bad_request', problemMessages[problem], problemField[problem]), problem } });
/** 409 with the nearest free slots instead. */
const takenSlot = (alternatives: readonly Slot[]) => ({
  status: 409,
  body: { ...errorBody('conflict', 'that time was just taken; choose another', 'start'), alternatives },
});

async function catalogueOf(deps: BookingDeps, tenantId: string): Promise<TenantCatalogue | undefined> {
  return deps.catalogue.catalogue(tenantId);
}

/** The slot a service takes from `start`: ends after its duration (an unknown service is left for the use case to refuse). */
function slotFor(catalogue: TenantCatalogue | undefined, serviceId: string, staffId: string, start: string): Slot {
  const startIso = new Date(start).toISOString();
  const minutes = catalogue?.services.find((s) => s.id === serviceId)?.durationMinutes ?? 0;
  return { serviceId, staffId, start: startIso, end: new Date(Date.parse(startIso) + minutes * 60_000).toISOString() };
}

/** A date is midnight at the business's time zone; an instant is itself. */
function toInstant(value: string, timezone: string): Date {
  return value.length === 10 ? zonedToUtc(value, '00:00', timezone) : new Date(value);
}

function todayIn(timezone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The catalogue as it is now, to check settings against: the cached one may be up to its lifetime old, and would
 * refuse time off for a staff member added a moment ago (or let through one removed a moment ago). The profile's
 * `kbVersion` (read consistently) makes the cache reload when the knowledge base changed since.
 */
async function currentCatalogue(deps: BookingDeps, tenantId: string): Promise<TenantCatalogue | undefined> {
  const profile = await store().getProfileConsistent(tenantId);
  return deps.catalogue.catalogue(tenantId, profile?.kbVersion);
}

/** What a settings save left out: stored entries naming staff or services that are no longer in the knowledge base. */
export interface DroppedSettings {
  /** Ids of exceptions (time off) of staff members since removed. */
  readonly exceptions: string[];
  /** Services since removed whose buffer was stored. */
  readonly bufferMinutes: string[];
}

/**
 * Settings checked against the catalogue. An exception naming a staff member the knowledge base does not have, or a
 * buffer of a service it does not have, is refused (400 naming the field) when it is new; when it was already stored
 * — the person or service was removed since, e.g. by a knowledge-base import — it is dropped instead, so the owner
 * is never stuck unable to change anything else (docs/decisions.md, 100). The reply is the settings as stored.
 */
export function checkedSettings(sent: BookingSettings, stored: BookingSettings, catalogue: TenantCatalogue | undefined): { settings: BookingSettings; dropped: DroppedSettings } {
  const dropped: DroppedSettings = { exceptions: [], bufferMinutes: [] };
  if (!catalogue) return { settings: sent, dropped };
  const staffIds = new Set(catalogue.staff.map((s) => s.id));
  const serviceIds = new Set(catalogue.services.map((s) => s.id));
  const storedStaffOf = new Map(stored.exceptions.map((e) => [e.id, e.staffId]));
  const exceptions = sent.exceptions.filter((e, i) => {
    if (e.staffId === undefined || staffIds.has(e.staffId)) return true;
    if (storedStaffOf.get(e.id) === e.staffId) {
      dropped.exceptions.push(e.id);
      return false;
    }
    throw badRequest(`exceptions.${i}.staffId: unknown staff member "${e.staffId}"; add them to the staff first`, `exceptions.${i}.staffId`);
  });
  const bufferMinutes = Object.fromEntries(
    Object.entries(sent.bufferMinutes).filter(([id]) => {
      if (serviceIds.has(id)) return true;
      if (stored.bufferMinutes[id] !== undefined) {
        dropped.bufferMinutes.push(id);
        return false;
      }
      throw badRequest(`bufferMinutes.${id}: unknown service "${id}"`, `bufferMinutes.${id}`);
    }),
  );
  return { settings: { ...sent, exceptions, bufferMinutes }, dropped };
}

export const handler = restApi('bookingsApi', {
  listBookings: async (request) => {
    const { tenantId } = callerOf(request);
    const query = rangeQuery.parse(request.query);
    const deps = bookingDeps();
    const timezone = (await catalogueOf(deps, tenantId))?.business.timezone ?? 'UTC';
    const today = todayIn(timezone, deps.clock.now());
    const fromValue = query.from ?? (query.to !== undefined && query.to.length === 10 ? addDays(query.to, -7) : today);
    const from = toInstant(fromValue, timezone);
    const to = query.to !== undefined ? toInstant(query.to, timezone) : fromValue.length === 10 ? toInstant(addDays(fromValue, 7), timezone) : new Date(from.getTime() + 7 * DAY_MS);
    if (to.getTime() <= from.getTime()) throw badRequest('to: must be after from', 'to');
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS + 2 * 3600_000) throw badRequest(`to: the range may span at most ${MAX_RANGE_DAYS} days`, 'to');
    const items = await deps.bookings.listBookings(tenantId, from.toISOString(), to.toISOString());
    return { body: { from: from.toISOString(), to: to.toISOString(), timezone, items: items.map(bookingView) } };
  },
  getBooking: async (request) => {
    const { tenantId } = callerOf(request);
    const path = bookingPath.parse(request.path);
    const booking = await bookingDeps().bookings.getBooking(tenantId, path.bookingId);
    if (!booking) throw notFound('no such booking');
    return { body: { booking: bookingView(booking) } };
  },
  createBooking: async (request) => {
    const caller = callerOf(request);
    const body = newBookingBody.parse(request.body);
    const deps = bookingDeps();
    const slot = slotFor(await catalogueOf(deps, caller.tenantId), body.serviceId, body.staffId, body.start);
    const result = await bookSlot(deps, {
      tenantId: caller.tenantId,
      slot,
      customer: body.customer,
      ...(body.partySize !== undefined ? { partySize: body.partySize } : {}),
      channel: 'staff',
      lang: body.lang,
      source: 'staff',
      by: caller.sub,
    });
    if (result.ok) return { status: 201, body: { booking: bookingView(result.booking) } };
    return result.reason === 'taken' ? takenSlot(result.alternatives) : invalidSlot(result.problem);
  },
  cancelBooking: async (request) => {
    const caller = callerOf(request);
    const path = bookingPath.parse(request.path);
    const body = cancelBody.parse(request.body ?? {});
    const before = await bookingDeps().bookings.getBooking(caller.tenantId, path.bookingId);
    const result = await cancelBooking(bookingDeps(), {
      tenantId: caller.tenantId,
      bookingId: path.bookingId,
      actor: 'staff',
      by: caller.sub,
      ...(body.reason !== '' ? { reason: body.reason } : {}),
    });
    if (result.ok) {
      // The cancellation stands even when the customer cannot be told now; the log says so.
      await tellCancelledByStaff(bookingWorkflowDeps(), result.booking, result.refunded).catch((error: unknown) =>
        logger.error('the customer was not told of the cancellation: the booking is cancelled', { bookingId: result.booking.bookingId, error: error instanceof Error ? error : String(error) }),
      );
      const audit = { before: auditFields(before, ['start', 'status']), after: { ...auditFields(result.booking, ['start', 'status']), refunded: result.refunded } };
      return { body: { booking: bookingView(result.booking), refunded: result.refunded }, audit };
    }
    if (result.reason === 'not_found') throw notFound('no such booking');
    throw conflict(result.reason === 'not_active' ? 'the booking is no longer active' : 'it is too late to cancel this booking');
  },
  rescheduleBooking: async (request) => {
    const caller = callerOf(request);
    const path = bookingPath.parse(request.path);
    const body = rescheduleBody.parse(request.body);
    const deps = bookingDeps();
    const current = await deps.bookings.getBooking(caller.tenantId, path.bookingId);
    if (!current) throw notFound('no such booking');
    const slot = slotFor(await catalogueOf(deps, caller.tenantId), current.serviceId, body.staffId ?? current.staffId, body.start);
    const result = await rescheduleBooking(deps, { tenantId: caller.tenantId, bookingId: path.bookingId, slot, actor: 'staff', by: caller.sub });
    const audit = (b: Booking) => ({ before: auditFields(current, ['start', 'staffId', 'status']), after: auditFields(b, ['start', 'staffId', 'status']) });
    if (result.ok) return { body: { booking: bookingView(result.booking) }, audit: audit(result.booking) };
    switch (result.reason) {
      case 'not_found':
        throw notFound('no such booking');
      case 'not_active':
        throw conflict('the booking is no longer active');
      case 'too_late':
        throw conflict('it is too late to change this booking');
      case 'unchanged':
        throw new DomainError('conflict', `start: the booking is already at ${current.start} with ${current.staffId}; nothing was changed`, 'start');
      case 'taken':
        return takenSlot(result.alternatives ?? []);
      case 'invalid':
        return invalidSlot(result.problem ?? 'fully_booked');
    }
  },
  markBookingNoShow: async (request) => {
    const caller = callerOf(request);
    const path = bookingPath.parse(request.path);
    const result = await markNoShow(bookingDeps(), { tenantId: caller.tenantId, bookingId: path.bookingId, by: caller.sub });
    if (result.ok) return { body: { booking: bookingView(result.booking) } };
    if (result.reason === 'not_found') throw notFound('no such booking');
    throw conflict(result.reason === 'not_confirmed' ? 'only a confirmed booking can be a no-show' : 'the booking has not started yet');
  },
  getAvailability: async (request) => {
    const { tenantId } = callerOf(request);
    const query = availabilityQuery.parse(request.query);
    const deps = bookingDeps();
    const window = {
      ...(query.staffId !== undefined ? { staffId: query.staffId } : {}),
      ...(query.date !== undefined ? { date: query.date } : {}),
      ...(query.after !== undefined ? { after: query.after } : {}),
      ...(query.before !== undefined ? { before: query.before } : {}),
      limit: query.limit,
    };
    if (query.serviceId !== undefined) {
      const found = await findSlots(deps, tenantId, { serviceId: query.serviceId, ...window });
      return { body: { slots: found.slots, alternatives: found.alternatives, ...(found.problem !== undefined ? { problem: found.problem } : {}) } };
    }
    // Without a service: the free slots of every service (what is still free that day).
    const services = (await catalogueOf(deps, tenantId))?.services ?? [];
    const found = await Promise.all(services.map((s) => findSlots(deps, tenantId, { serviceId: s.id, ...window })));
    const byStart = (a: Slot, b: Slot): number => a.start.localeCompare(b.start) || a.serviceId.localeCompare(b.serviceId);
    return { body: { slots: found.flatMap((f) => f.slots).sort(byStart), alternatives: [] } };
  },
  getBookingSettings: async (request) => {
    const { tenantId } = callerOf(request);
    return { body: await bookingSettingsOf(bookingDeps(), tenantId) };
  },
  putBookingSettings: async (request) => {
    const { tenantId } = callerOf(request);
    const deps = bookingDeps();
    const before = await bookingSettingsOf(deps, tenantId);
    const { settings, dropped } = checkedSettings(settingsBody.parse(request.body), before, await currentCatalogue(deps, tenantId));
    await deps.bookings.putBookingSettings(tenantId, settings);
    // Exceptions (holidays, time off) are counted, not copied: their reasons (and ids made from them) may name people.
    const droppedNote = { exceptions: dropped.exceptions.length, bufferMinutes: dropped.bufferMinutes };
    const anyDropped = dropped.exceptions.length > 0 || dropped.bufferMinutes.length > 0;
    if (anyDropped) logger.info('booking settings saved without entries of removed staff or services', { tenantId, dropped: droppedNote });
    const summary = ({ exceptions, ...policy }: BookingSettings) => ({ ...policy, exceptions: exceptions.length });
    const after = { ...summary(settings), ...(anyDropped ? { dropped: droppedNote } : {}) };
    return { body: settings, audit: { before: summary(before), after } };
  },
});
