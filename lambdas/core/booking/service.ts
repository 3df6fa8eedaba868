/**
 * The booking use cases: find free slots, book one (hold it at once, then let the workflow take the deposit and
 * confirm), cancel, reschedule, and a customer's upcoming bookings. Every channel (the concierge's booking dialog,
 * the staff API) goes through these; they talk to ports only.
 *
 * Booking is first come, first served at the store: `bookSlot` holds the slot's cells in one conditional
 * transaction before anything else happens, so of many customers racing for one slot exactly one holds it and the
 * others are refused at once, with the nearest free alternatives. Events carry ids only (never names, phones or
 * e-mail addresses); the bus adds the tenant id.
 */
import { z } from 'zod';
import { badRequest, notFound } from '../errors';
import { randomId } from '../ids';
import { contactInCountry, PHONE_TEXT } from '../phone';
import type { CatalogueSource, TenantCatalogue } from '../nlu/catalogue';
import { wallClock } from '../nlu/time';
import { IDEMPOTENCY_KEY, type Clock, type ConversationStore, type EventPublisher } from '../ports';
import { bookingCells, checkSlot, freeSlots, searchRange, type AvailabilityInput, type FreeSlots, type SlotProblem, type SlotRequest } from './availability';
import {
  activeStatuses,
  defaultBookingSettings,
  PARTY_SIZE_MAX,
  type Booking,
  type BookingCustomer,
  type BookingSettings,
  type BookingStore,
  type Calendar,
  type Payments,
  type Slot,
} from './ports';

/** The ports the booking use cases need. */
export interface BookingDeps {
  readonly bookings: BookingStore;
  readonly catalogue: CatalogueSource;
  readonly payments: Payments;
  readonly calendar: Calendar;
  readonly events: EventPublisher;
  readonly clock: Clock;
  /** New booking ids; `randomId` when absent. */
  readonly newId?: () => string;
  /**
   * The conversations bookings were made in: the booking dialog lets a chat manage a booking made in another
   * conversation of the same identity. Without it, only bookings made in the same conversation (or under a
   * phone the channel verified).
   */
  readonly conversations?: Pick<ConversationStore, 'getConversation'>;
}

/** How many alternatives a refused booking offers. */
const ALTERNATIVES = 3;

const instant = z.iso.datetime({ offset: false, precision: 3, error: 'must be a UTC ISO instant such as 2026-12-03T14:00:00.000Z' });
const itemId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 characters of a-z 0-9 _ -');

/** A slot as a client sends it back (validated at every edge). */
export const slotSchema = z.strictObject({ serviceId: itemId, staffId: itemId, start: instant, end: instant }) satisfies z.ZodType<Slot>;

/** Who books: a name and at least one way to reach them (which also finds their bookings later). */
export const bookingCustomerSchema = z
  .strictObject({
    // One line: the name goes into staff e-mails and calendar event titles.
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(120)
      .regex(/^[^\p{Cc}]*$/u, 'must be one line without control characters'),
    phone: z
      .string()
      .trim()
      .regex(PHONE_TEXT, 'must be a phone number such as +353 1 555 0142')
      .optional(),
    email: z.email('must be an e-mail address').max(254).optional(),
  })
  .refine((c) => c.phone !== undefined || c.email !== undefined, { message: 'give a phone number or an e-mail address', path: ['phone'] }) satisfies z.ZodType<BookingCustomer>;

/**
 * The key that finds a customer's bookings from any channel: `phone:+<digits>` when there is a phone number
 * (a leading 00 counts as +; spaces, dots, dashes and brackets are dropped), else `email:<lower case address>`.
 * undefined when neither is usable.
 */
export function customerKeyOf(contact: { readonly phone?: string | undefined; readonly email?: string | undefined }): string | undefined {
  const phone = contact.phone?.trim().replace(/[\s().-]/g, '').replace(/^00/, '+');
  if (phone && /^\+?\d{6,20}$/.test(phone)) return `phone:${phone.startsWith('+') ? phone : `+${phone}`}`;
  const email = contact.email?.trim().toLowerCase();
  if (email && /^[^\s#@]{1,64}@[^\s#@]{1,190}$/.test(email)) return `email:${email}`;
  return undefined;
}

/** The tenant's booking settings, or the defaults when the owner never saved any. */
export async function bookingSettingsOf(deps: Pick<BookingDeps, 'bookings'>, tenantId: string): Promise<BookingSettings> {
  return (await deps.bookings.getBookingSettings(tenantId)) ?? defaultBookingSettings;
}

async function catalogueOf(deps: Pick<BookingDeps, 'catalogue'>, tenantId: string): Promise<TenantCatalogue> {
  const catalogue = await deps.catalogue.catalogue(tenantId);
  if (!catalogue) throw notFound('this business has no services to book yet');
  return catalogue;
}

/** Everything availability needs but the busy cells. */
async function availabilityOf(
  deps: Pick<BookingDeps, 'bookings' | 'catalogue' | 'clock'>,
  tenantId: string,
  known?: TenantCatalogue,
): Promise<Omit<AvailabilityInput, 'busy'>> {
  const [catalogue, settings] = await Promise.all([known ?? catalogueOf(deps, tenantId), bookingSettingsOf(deps, tenantId)]);
  return { timezone: catalogue.business.timezone, hours: catalogue.hours, services: catalogue.services, staff: catalogue.staff, settings, now: deps.clock.now() };
}

/** Everyone whose cells matter to a request: who does the service, and the staff member asked for. */
function staffFor(input: Omit<AvailabilityInput, 'busy'>, request: SlotRequest): string[] {
  const able = input.staff.filter((m) => m.serviceIds.includes(request.serviceId)).map((m) => m.id);
  return [...new Set([...able, ...(request.staffId !== undefined && input.staff.some((m) => m.id === request.staffId) ? [request.staffId] : [])])];
}

async function search(deps: Pick<BookingDeps, 'bookings'>, tenantId: string, input: Omit<AvailabilityInput, 'busy'>, request: SlotRequest): Promise<FreeSlots> {
  const range = searchRange(input, request);
  const busy = await deps.bookings.busyCells(tenantId, staffFor(input, request), range.from, range.to, input.now);
  return freeSlots({ ...input, busy }, request);
}

/**
 * Up to `request.limit` free slots; when none match, why (`problem`) and the nearest others (`alternatives`).
 * Throws not_found when the tenant has no catalogue.
 */
export async function findSlots(deps: BookingDeps, tenantId: string, request: SlotRequest): Promise<{ slots: Slot[]; problem?: SlotProblem; alternatives: Slot[] }> {
  return search(deps, tenantId, await availabilityOf(deps, tenantId), request);
}

/** The nearest free slots to one that was just taken: that day first, the same staff member if possible. */
async function alternativesTo(deps: BookingDeps, tenantId: string, input: Omit<AvailabilityInput, 'busy'>, slot: Slot): Promise<Slot[]> {
  const w = wallClock(new Date(slot.start), input.timezone);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const date = `${w.year}-${pad(w.month)}-${pad(w.day)}`;
  const fresh = { ...input, now: deps.clock.now() };
  for (const staffId of [slot.staffId, undefined]) {
    const found = await search(deps, tenantId, fresh, { serviceId: slot.serviceId, ...(staffId ? { staffId } : {}), date, limit: ALTERNATIVES });
    const offered = (found.slots.length > 0 ? found.slots : found.alternatives).filter((s) => s.start !== slot.start || s.staffId !== slot.staffId);
    if (offered.length > 0) return offered;
  }
  return [];
}

export interface BookSlotInput {
  readonly tenantId: string;
  readonly slot: Slot;
  readonly customer: BookingCustomer;
  /** How many people it is for, when said (1..PARTY_SIZE_MAX). */
  readonly partySize?: number;
  readonly conversationId?: string;
  readonly channel: Booking['channel'];
  readonly lang: string;
  readonly source: Booking['source'];
  /** The staff member booking it (Cognito sub). */
  readonly by?: string;
}

export type BookSlotResult =
  | { readonly ok: true; readonly booking: Booking }
  | { readonly ok: false; readonly reason: 'taken'; readonly alternatives: Slot[] }
  | { readonly ok: false; readonly reason: 'invalid'; readonly problem: SlotProblem };

/**
 * Books a slot: re-checks it (service, staff, hours, notice, horizon), holds its cells for `holdMinutes` (status
 * `held`; the payment is `pending` when the service takes a deposit) and publishes `booking.requested`, which starts
 * the booking workflow (deposit, confirmation, calendar, reminder). `taken`: someone else holds that time; the
 * nearest free slots come with the refusal. A malformed slot or customer throws (a 400 with the field named).
 */
export async function bookSlot(deps: BookingDeps, input: BookSlotInput): Promise<BookSlotResult> {
  const slot = slotSchema.parse(input.slot);
  const given = bookingCustomerSchema.parse(input.customer);
  const catalogue = await catalogueOf(deps, input.tenantId);
  // "087 555 0101" at a Dublin clinic is the +353 customer who writes on WhatsApp (core/phone.ts).
  const customer = contactInCountry(given, catalogue.business);
  const customerKey = customerKeyOf(customer);
  if (!customerKey) throw badRequest('give a phone number or an e-mail address', 'customer.phone');
  if (input.partySize !== undefined && !(Number.isInteger(input.partySize) && input.partySize >= 1 && input.partySize <= PARTY_SIZE_MAX)) {
    throw badRequest(`partySize must be a whole number from 1 to ${PARTY_SIZE_MAX}`, 'partySize');
  }
  const availability = await availabilityOf(deps, input.tenantId, catalogue);
  const problem = checkSlot({ ...availability, busy: [] }, slot);
  if (problem) return { ok: false, reason: 'invalid', problem };
  const service = availability.services.find((s) => s.id === slot.serviceId);
  if (!service) return { ok: false, reason: 'invalid', problem: 'unknown_service' };

  const now = availability.now;
  const booking: Booking = {
    tenantId: input.tenantId,
    bookingId: deps.newId?.() ?? randomId(),
    serviceId: slot.serviceId,
    staffId: slot.staffId,
    start: slot.start,
    end: slot.end,
    customer,
    ...(input.partySize !== undefined ? { partySize: input.partySize } : {}),
    customerKey,
    status: 'held',
    priceCents: service.priceCents,
    depositCents: service.depositCents,
    currency: service.currency,
    payment: { status: service.depositCents > 0 ? 'pending' : 'none' },
    cells: bookingCells(slot, availability.settings),
    holdExpiresAt: new Date(now.getTime() + availability.settings.holdMinutes * 60_000).toISOString(),
    ...(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}),
    channel: input.channel,
    lang: input.lang,
    source: input.source,
    ...(input.by !== undefined ? { by: input.by } : {}),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    rev: 1,
  };
  const held = await deps.bookings.hold(booking);
  if (!held.ok) {
    // A double-clicked "yes" (two messages, two invocations) or a staff form sent twice: the same customer already
    // holds exactly this slot, so this is the same booking, not a lost race.
    const mine = (await deps.bookings.listCustomerBookings(input.tenantId, customerKey)).find(
      (b) => activeStatuses.includes(b.status) && b.serviceId === slot.serviceId && b.staffId === slot.staffId && Date.parse(b.start) === Date.parse(slot.start),
    );
    if (mine) return { ok: true, booking: mine };
    return { ok: false, reason: 'taken', alternatives: await alternativesTo(deps, input.tenantId, availability, slot) };
  }
  try {
    await deps.events.publish([{ type: 'booking.requested', tenantId: input.tenantId, detail: { bookingId: booking.bookingId } }]);
  } catch (error) {
    // Without its workflow nobody would confirm the hold: give the time back now rather than when the hold expires.
    await deps.bookings.updateBooking(held.booking, { ...held.booking, status: 'failed', statusReason: 'The booking workflow could not be started', updatedAt: deps.clock.now().toISOString(), rev: held.booking.rev + 1 });
    throw error;
  }
  return { ok: true, booking: held.booking };
}

/** Hours left before the start; a customer may change or cancel only with at least `cancellationNoticeHours` left. */
function tooLate(booking: Booking, settings: BookingSettings, now: Date): boolean {
  return withinNotice(booking.start, settings.cancellationNoticeHours, now);
}

/** Whether a start is closer than the cancellation notice: a customer can no longer cancel or change it in the chat. */
export function withinNotice(start: string, noticeHours: number, now: Date): boolean {
  return Date.parse(start) - now.getTime() < noticeHours * 3_600_000;
}

/** Optimistic read-modify-write attempts before a booking that keeps changing is reported. */
const MAX_ATTEMPTS = 5;

export interface CancelInput {
  readonly tenantId: string;
  readonly bookingId: string;
  readonly actor: 'customer' | 'staff';
  /** The staff member cancelling (Cognito sub). */
  readonly by?: string;
  /** Why, in staff words; shown as the booking's status reason. */
  readonly reason?: string;
}

export type CancelResult = { readonly ok: true; readonly booking: Booking; readonly refunded: boolean } | { readonly ok: false; readonly reason: 'not_found' | 'not_active' | 'too_late' };

/**
 * Cancels an active booking, releasing its time. Customers must cancel at least `cancellationNoticeHours` before
 * the start (`too_late` otherwise); staff may always. A paid deposit is refunded through Payments when staff
 * cancel (the business called it off) or when the policy `refundDepositOnCancel` says so — before the booking is
 * cancelled, so a refund that fails leaves the booking active and the cancellation can simply be tried again (the
 * refund is idempotent per booking). The calendar event is deleted (a calendar failure does not undo the
 * cancellation) and `booking.cancelled` is published. The staff member who cancelled it, asking again, gets the same
 * answer and the event is published again under its idempotency key: a publish that failed after the write is not
 * lost (docs/decisions.md 92).
 */
export async function cancelBooking(deps: BookingDeps, input: CancelInput): Promise<CancelResult> {
  const settings = await bookingSettingsOf(deps, input.tenantId);
  /** The payment this call refunded, if its own update then lost to a concurrent change. */
  let refundedPayment: string | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const booking = await deps.bookings.getBooking(input.tenantId, input.bookingId);
    if (!booking) return { ok: false, reason: 'not_found' };
    if (!activeStatuses.includes(booking.status)) {
      if (booking.status === 'cancelled' && refundedPayment === undefined && sameCanceller(booking, input)) {
        // The same staff member asking again: their first answer was lost, or its event was not published (the
        // write applied, then the publish failed). Answered as the first time, and the event published again under
        // its idempotency key, which its consumers apply once.
        const c = booking.cancellation;
        await publishCancelled(deps, booking, input.actor, c?.refunded ?? false, await deleteCalendarEvent(deps, booking), c?.wasConfirmed ?? false);
        return { ok: true, booking, refunded: c?.refunded ?? false };
      }
      // Ended meanwhile (another cancellation won): the money this call gave back is still written on the booking.
      if (refundedPayment !== undefined && booking.payment.status === 'paid' && booking.payment.paymentId === refundedPayment) {
        const at = deps.clock.now().toISOString();
        await deps.bookings.updateBooking(booking, { ...booking, payment: { ...booking.payment, status: 'refunded', refundedAt: at }, updatedAt: at, rev: booking.rev + 1 });
      }
      return { ok: false, reason: 'not_active' };
    }
    const now = deps.clock.now();
    if (input.actor === 'customer' && tooLate(booking, settings, now)) return { ok: false, reason: 'too_late' };
    const refund = booking.payment.status === 'paid' && booking.payment.paymentId !== undefined && (input.actor === 'staff' || settings.refundDepositOnCancel);
    // Refunded first: a provider error throws with the booking still active, so a retry refunds and cancels.
    if (refund) {
      await refundDeposit(deps, booking);
      refundedPayment = booking.payment.paymentId;
    }
    const { holdExpiresAt: _released, ...rest } = booking;
    const cancelled: Booking = {
      ...rest,
      status: 'cancelled',
      statusReason: input.reason ?? (input.actor === 'customer' ? 'Cancelled by the customer' : 'Cancelled by staff'),
      ...(refund ? { payment: { ...booking.payment, status: 'refunded', refundedAt: now.toISOString() } } : {}),
      ...(input.by !== undefined ? { by: input.by } : {}),
      cancellation: { actor: input.actor, ...(input.by !== undefined ? { by: input.by } : {}), refunded: refund, wasConfirmed: booking.status === 'confirmed' },
      updatedAt: now.toISOString(),
      rev: booking.rev + 1,
    };
    if (!(await deps.bookings.updateBooking(booking, cancelled))) continue;

    await publishCancelled(deps, cancelled, input.actor, refund, await deleteCalendarEvent(deps, cancelled), booking.status === 'confirmed');
    return { ok: true, booking: cancelled, refunded: refund };
  }
  throw new Error(`booking ${input.bookingId} kept changing; try again`);
}

/** A staff member cancelling a booking they cancelled before (customers cannot: the booking is no longer theirs to pick). */
function sameCanceller(booking: Booking, input: CancelInput): boolean {
  return input.actor === 'staff' && input.by !== undefined && booking.cancellation?.actor === 'staff' && booking.cancellation.by === input.by;
}

/** `booking.cancelled`, one occurrence per booking however often it is published (core/ports.ts `occurrenceIdOf`). */
async function publishCancelled(deps: Pick<BookingDeps, 'events'>, booking: Booking, actor: CancelInput['actor'], refunded: boolean, calendarDeleted: boolean, wasConfirmed: boolean): Promise<void> {
  await deps.events.publish([
    {
      type: 'booking.cancelled',
      tenantId: booking.tenantId,
      detail: { bookingId: booking.bookingId, actor, refunded, calendarDeleted, wasConfirmed, [IDEMPOTENCY_KEY]: `booking.cancelled:${booking.bookingId}` },
    },
    ...(refunded ? [refundedEvent(booking, booking.payment.paymentId, booking.depositCents, 'cancelled')] : []),
  ]);
}

export type NoShowResult = { readonly ok: true; readonly booking: Booking } | { readonly ok: false; readonly reason: 'not_found' | 'not_confirmed' | 'not_started' };

/**
 * Staff mark a confirmed booking whose start has passed as a no-show (`no_show`, its time released) and
 * `booking.noshow` is published (docs/metrics.md). Anything else — not confirmed, or not started yet — is refused;
 * the deposit is kept (no refund). The staff member who marked it gets the same answer again, and the event is
 * published again under its idempotency key (their first answer may have been lost, or the publish failed).
 */
export async function markNoShow(deps: BookingDeps, input: { readonly tenantId: string; readonly bookingId: string; readonly by: string }): Promise<NoShowResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const booking = await deps.bookings.getBooking(input.tenantId, input.bookingId);
    if (!booking) return { ok: false, reason: 'not_found' };
    // The same staff member asking again (their answer lost, or the event not published): the same answer, and the
    // event again under its idempotency key.
    if (booking.status === 'no_show' && booking.by === input.by) {
      await publishNoShow(deps, booking);
      return { ok: true, booking };
    }
    if (booking.status !== 'confirmed') return { ok: false, reason: 'not_confirmed' };
    const now = deps.clock.now();
    if (Date.parse(booking.start) > now.getTime()) return { ok: false, reason: 'not_started' };
    const marked: Booking = { ...booking, status: 'no_show', statusReason: 'The customer did not come', by: input.by, updatedAt: now.toISOString(), rev: booking.rev + 1 };
    if (!(await deps.bookings.updateBooking(booking, marked))) continue;
    await publishNoShow(deps, marked);
    return { ok: true, booking: marked };
  }
  throw new Error(`booking ${input.bookingId} kept changing; try again`);
}

async function publishNoShow(deps: Pick<BookingDeps, 'events'>, booking: Booking): Promise<void> {
  await deps.events.publish([
    {
      type: 'booking.noshow',
      tenantId: booking.tenantId,
      detail: { bookingId: booking.bookingId, serviceId: booking.serviceId, staffId: booking.staffId, start: booking.start, by: booking.by, [IDEMPOTENCY_KEY]: `booking.noshow:${booking.bookingId}` },
    },
  ]);
}

/** Refunds the booking's paid deposit in full (idempotent per booking at the provider: a retry refunds once). */
async function refundDeposit(deps: Pick<BookingDeps, 'payments'>, booking: Booking): Promise<void> {
  await deps.payments.refund({ tenantId: booking.tenantId, bookingId: booking.bookingId, paymentId: booking.payment.paymentId ?? '', amountCents: booking.depositCents });
}

/**
 * `payment.refunded` for a deposit given back, published with the event of what caused it (so a retry that publishes
 * that again publishes this again): one occurrence per booking, as the refund port refunds a booking once. The
 * analytics subtract it from the deposits collected (docs/metrics.md).
 */
export function refundedEvent(booking: Pick<Booking, 'tenantId' | 'bookingId' | 'currency'>, paymentId: string | undefined, amountCents: number, reason: 'cancelled' | 'failed' | 'late_payment') {
  return {
    type: 'payment.refunded' as const,
    tenantId: booking.tenantId,
    detail: {
      bookingId: booking.bookingId,
      ...(paymentId !== undefined ? { paymentId } : {}),
      amountCents,
      currency: booking.currency,
      reason,
      [IDEMPOTENCY_KEY]: `payment.refunded:${booking.bookingId}`,
    },
  };
}

/**
 * Expires the checkout of a booking whose deposit is still due, when the payments port can (Stripe:
 * `checkout.sessions.expire`). Best effort: false when there was none, or the provider refused (already paid or
 * expired, or unreachable); nothing else is undone.
 */
export async function expireCheckout(deps: Pick<BookingDeps, 'payments'>, booking: Pick<Booking, 'tenantId' | 'bookingId' | 'payment'>): Promise<boolean> {
  const { checkoutId, status } = booking.payment;
  if (status !== 'pending' || checkoutId === undefined || !deps.payments.expireCheckout) return false;
  try {
    await deps.payments.expireCheckout({ tenantId: booking.tenantId, bookingId: booking.bookingId, checkoutId });
    return true;
  } catch {
    return false;
  }
}

/** Deletes the booking's event in the external calendar; false when that failed (the booking stays as it is). */
async function deleteCalendarEvent(deps: BookingDeps, booking: Booking): Promise<boolean> {
  if (booking.calendarEventId === undefined) return false;
  try {
    await deps.calendar.deleteEvent({ tenantId: booking.tenantId, bookingId: booking.bookingId, eventId: booking.calendarEventId });
    return true;
  } catch {
    return false;
  }
}

export interface RescheduleInput {
  readonly tenantId: string;
  readonly bookingId: string;
  readonly slot: Slot;
  readonly actor: 'customer' | 'staff';
  readonly by?: string;
}

export type RescheduleResult =
  | { readonly ok: true; readonly booking: Booking }
  | { readonly ok: false; readonly reason: 'not_found' | 'not_active' | 'too_late' | 'taken' | 'invalid' | 'unchanged'; readonly alternatives?: Slot[]; readonly problem?: SlotProblem };

/** Whether a slot is the very one a booking has: the same service, staff member and start (as instants). */
export function isSameSlot(booking: Pick<Booking, 'serviceId' | 'staffId' | 'start'>, slot: Pick<Slot, 'serviceId' | 'staffId' | 'start'>): boolean {
  return booking.serviceId === slot.serviceId && booking.staffId === slot.staffId && Date.parse(booking.start) === Date.parse(slot.start);
}

/**
 * Moves an active booking to another slot, atomically: a new booking (a new id, `rescheduledFrom` the old one)
 * takes the new time and the old one is cancelled, its time released, in one store transaction; the old booking's
 * own time counts as free for the new one. The new booking keeps the payment; it is `confirmed` at once when the
 * old one was (no window where the customer has only a hold), else `held` for `holdMinutes`. Customers must
 * respect `cancellationNoticeHours`; staff may always. Publishes `booking.changed` and `booking.requested` (the new
 * booking's workflow sends the confirmation, writes the calendar and schedules the reminder); the old calendar
 * event is deleted. When those events cannot be published the new booking is failed (its time released, a paid
 * deposit refunded) and the error thrown, as bookSlot does. A deposit still due: the old booking's checkout is
 * expired when the payments port can (best effort; a payment made on it anyway goes to the new booking,
 * docs/decisions.md 98). The old booking remembers the new one and who moved it
 * (`rescheduledTo`): the same mover (the same staff member, or a customer) asking again for the same time, their
 * first answer lost or a confirmed booking's events not published, gets the new booking again while it is active,
 * and both events are published again under their idempotency keys (docs/decisions.md 97); anyone else, or another
 * time, is `not_active`. The time the booking already has (same service, staff member and start) is `unchanged`,
 * and nothing is written or published (docs/decisions.md 115).
 */
export async function rescheduleBooking(deps: BookingDeps, input: RescheduleInput): Promise<RescheduleResult> {
  const slot = slotSchema.parse(input.slot);
  const availability = await availabilityOf(deps, input.tenantId);
  const { settings } = availability;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const previous = await deps.bookings.getBooking(input.tenantId, input.bookingId);
    if (!previous) return { ok: false, reason: 'not_found' };
    if (!activeStatuses.includes(previous.status)) {
      // The same mover asking again: their first answer was lost, or the events were not published (the write
      // applied, then the publish failed). Answered with the same new booking, and the events published again under
      // their idempotency keys: the new booking's workflow, started by one of them, tells the customer once.
      const successor = await sameMove(deps, previous, input, slot);
      if (!successor) return { ok: false, reason: 'not_active' };
      await expireCheckout(deps, previous);
      await publishMoved(deps, successor, previous, input.actor, await deleteCalendarEvent(deps, previous));
      return { ok: true, booking: successor };
    }
    // Moving a booking to the time it has would cancel it for a copy of itself (a new id, a new hold, a new
    // confirmation sent): nothing to do, and the caller is told so.
    if (isSameSlot(previous, slot)) return { ok: false, reason: 'unchanged' };
    const now = deps.clock.now();
    if (input.actor === 'customer' && tooLate(previous, settings, now)) return { ok: false, reason: 'too_late' };
    const problem = checkSlot({ ...availability, now, busy: [] }, slot);
    if (problem) return { ok: false, reason: 'invalid', problem };
    const service = availability.services.find((s) => s.id === slot.serviceId);
    if (!service) return { ok: false, reason: 'invalid', problem: 'unknown_service' };

    const confirmed = previous.status === 'confirmed';
    const {
      holdExpiresAt: _hold,
      executionId: _execution,
      calendarEventId: _event,
      statusReason: _reason,
      by: _by,
      ...kept
    } = previous;
    const next: Booking = {
      ...kept,
      bookingId: deps.newId?.() ?? randomId(),
      serviceId: slot.serviceId,
      staffId: slot.staffId,
      start: slot.start,
      end: slot.end,
      priceCents: service.priceCents,
      // A deposit still due gets a checkout of its own (the old one is expired below): the old link is not carried over.
      payment: previous.payment.status === 'pending' ? { status: 'pending' } : previous.payment,
      status: confirmed ? 'confirmed' : 'held',
      cells: bookingCells(slot, settings),
      ...(confirmed ? {} : { holdExpiresAt: new Date(now.getTime() + settings.holdMinutes * 60_000).toISOString() }),
      ...(input.by !== undefined ? { by: input.by } : {}),
      rescheduledFrom: previous.bookingId,
      rescheduledFromConfirmed: previous.status === 'confirmed',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      rev: 1,
    };
    const replaced = await deps.bookings.replaceBooking(previous, next, { actor: input.actor, ...(input.by !== undefined ? { by: input.by } : {}) });
    if (!replaced.ok && replaced.reason === 'changed') continue;
    if (!replaced.ok) return { ok: false, reason: 'taken', alternatives: await alternativesTo(deps, input.tenantId, availability, slot) };

    // The old booking's payment link, still in the chat, must not take money for a booking that is gone (a
    // payment that gets through anyway is applied to the new booking: workflow.ts onPaymentOutcome).
    await expireCheckout(deps, previous);
    const oldEvent = await deleteCalendarEvent(deps, previous);
    try {
      await publishMoved(deps, replaced.booking, previous, input.actor, oldEvent);
    } catch (error) {
      // As in bookSlot: without its workflow nobody would confirm a hold, so a held replacement fails now and gives
      // its time back (a deposit paid for the old booking goes back too). A confirmed one stands: the customer keeps
      // the appointment, without the calendar entry and reminders its workflow would have added.
      const moved = replaced.booking;
      if (moved.status === 'confirmed') throw error;
      const refund = moved.payment.status === 'paid' && moved.payment.paymentId !== undefined;
      if (refund) await refundDeposit(deps, moved);
      const at = deps.clock.now().toISOString();
      await deps.bookings.updateBooking(moved, {
        ...moved,
        status: 'failed',
        statusReason: `The booking workflow could not be started (moved from booking ${previous.bookingId}, which is cancelled)`,
        ...(refund ? { payment: { ...moved.payment, status: 'refunded', refundedAt: at } } : {}),
        updatedAt: at,
        rev: moved.rev + 1,
      });
      throw error;
    }
    return { ok: true, booking: replaced.booking };
  }
  throw new Error(`booking ${input.bookingId} kept changing; try again`);
}

/**
 * The new booking a reschedule asked again already made: `previous` was moved by this mover (a staff member by the
 * same `by`; customers by a customer, as only the booking's own customer reaches it in the chat) to exactly this slot,
 * and the new booking is still active. undefined otherwise (the request is then refused as `not_active`).
 */
async function sameMove(deps: Pick<BookingDeps, 'bookings'>, previous: Booking, input: RescheduleInput, slot: Slot): Promise<Booking | undefined> {
  const to = previous.rescheduledTo;
  if (previous.status !== 'cancelled' || !to || to.actor !== input.actor) return undefined;
  if (input.actor === 'staff' && (input.by === undefined || to.by !== input.by)) return undefined;
  const successor = await deps.bookings.getBooking(previous.tenantId, to.bookingId);
  if (!successor || successor.rescheduledFrom !== previous.bookingId || !activeStatuses.includes(successor.status)) return undefined;
  const same = successor.serviceId === slot.serviceId && successor.staffId === slot.staffId && Date.parse(successor.start) === Date.parse(slot.start);
  return same ? successor : undefined;
}

/**
 * `booking.changed` and `booking.requested` of a reschedule, each one occurrence however often it is published
 * (core/ports.ts `occurrenceIdOf`): a second `booking.requested` starts a workflow that finds the booking claimed by
 * the first and ends (workflow.ts `stepHold`).
 */
async function publishMoved(deps: Pick<BookingDeps, 'events'>, moved: Booking, previous: Booking, actor: RescheduleInput['actor'], calendarDeleted: boolean): Promise<void> {
  await deps.events.publish([
    {
      type: 'booking.changed',
      tenantId: moved.tenantId,
      detail: { bookingId: moved.bookingId, previousBookingId: previous.bookingId, actor, calendarDeleted, [IDEMPOTENCY_KEY]: `booking.changed:${moved.bookingId}` },
    },
    { type: 'booking.requested', tenantId: moved.tenantId, detail: { bookingId: moved.bookingId, [IDEMPOTENCY_KEY]: `booking.requested:${moved.bookingId}` } },
  ]);
}

/** A customer's active bookings that have not started yet, soonest first (a hold that ran out unconfirmed is none). */
export async function upcomingBookings(deps: BookingDeps, tenantId: string, customerKey: string): Promise<Booking[]> {
  const now = deps.clock.now();
  const iso = now.toISOString();
  const live = (b: Booking): boolean => b.status === 'confirmed' || (activeStatuses.includes(b.status) && Date.parse(b.holdExpiresAt ?? '') > now.getTime());
  const all = await deps.bookings.listCustomerBookings(tenantId, customerKey);
  return all.filter((b) => live(b) && b.start >= iso).sort((a, b) => a.start.localeCompare(b.start));
}
