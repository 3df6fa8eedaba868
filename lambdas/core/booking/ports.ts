/**
 * Bookings: the shared vocabulary and the ports of the booking capability.
 *
 * A booking is a transaction over time cells: every staff member's calendar is
 * divided into CELL_MINUTES cells; a booking (its service's duration plus the
 * service's buffer) covers a run of cells, and holding it writes one lock item
 * per cell with a condition, in one DynamoDB transaction — so two customers can
 * never hold overlapping time of the same staff member, whatever the durations.
 * A hold expires (`holdExpiresAt`, also the cells' TTL) unless the booking is
 * confirmed; an expired hold's cells count as free and may be taken over.
 *
 * Who does what:
 * - core/booking/availability.ts — pure: free slots from hours, exceptions, policy and busy cells (DST-correct);
 * - core/booking/service.ts      — use cases over these ports (find slots, hold + start workflow, cancel, reschedule, list);
 * - core/booking/workflow.ts     — the task steps of state-machines/booking.asl.json;
 * - core/booking/dialog.ts       — the conversation (slot filling) on any channel;
 * - adapters/dynamo/booking-store.ts, adapters/payments/*, adapters/calendar/* — the adapters.
 */
import { z } from 'zod';
import { calendarDateSchema, dayNumber } from '../dates';

/** The largest party a booking may record (staff form, REST API); a service may allow fewer online (`Service.maxPartySize`). */
export const PARTY_SIZE_MAX = 50;

/** The granularity of slot locks. Service durations and buffers are rounded up to whole cells. */
export const CELL_MINUTES = 15;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');
/** A day that exists, in core/dates.ts's years (a regex let 2026-02-30 and 2026-13-01 through). */
const isoDate = calendarDateSchema;
/**
 * A day as settings stored before days were checked hold it (2026-02-30 was accepted): still read, ordered as
 * text as it was then, so an admin can see such an exception and replace it (reading fails on nothing it wrote).
 */
const storedDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

const exceptionSchemaOf = (day: z.ZodType<string>, ordered: (from: string, to: string) => boolean) =>
  z
    .strictObject({
      id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 characters of a-z 0-9 _ -'),
      /** First and last day, inclusive, in the business's time zone. */
      from: day,
      to: day,
      /** Absent: the whole business. */
      staffId: z.string().max(64).optional(),
      /** Absent: closed all day; present: open only these hours on those days. */
      open: hhmm.optional(),
      close: hhmm.optional(),
      reason: z.string().trim().max(200).default(''),
    })
    .refine((e) => ordered(e.from, e.to), { message: 'from must not be after to', path: ['to'] })
    .refine((e) => (e.open === undefined) === (e.close === undefined), { message: 'give both open and close, or neither', path: ['close'] })
    .refine((e) => e.open === undefined || e.close === undefined || e.open < e.close, { message: 'open must be before close', path: ['close'] });

/** A closed day or changed hours (holiday, time off) for the business or one staff member; its days compared as dates. */
export const bookingExceptionSchema = exceptionSchemaOf(isoDate, (from, to) => dayNumber(from) <= dayNumber(to));
export type BookingException = z.infer<typeof bookingExceptionSchema>;

/** Per-tenant booking settings (admin UI "Services & hours"); defaults in `defaultBookingSettings`. */
export const bookingSettingsSchema = z.strictObject({
  /** Offer slots starting every N minutes (a multiple of CELL_MINUTES). */
  slotStepMinutes: z.number().int().min(CELL_MINUTES).max(240).multipleOf(CELL_MINUTES),
  /** Earliest bookable time after now. */
  minNoticeMinutes: z.number().int().min(0).max(7 * 24 * 60),
  /** Latest bookable day after today. */
  maxDaysAhead: z.number().int().min(1).max(365),
  /** How long an unconfirmed hold keeps its slot. */
  holdMinutes: z.number().int().min(1).max(120),
  /** How long the customer has to pay a deposit before the hold is released. */
  paymentTimeoutMinutes: z.number().int().min(1).max(24 * 60),
  /** Cancel or reschedule at least this long before the start (later: the customer is told to call, staff may still do it). */
  cancellationNoticeHours: z.number().int().min(0).max(14 * 24),
  /** Deposit refunded when cancelled within the notice period. */
  refundDepositOnCancel: z.boolean(),
  /** Reminder this long before the start (0: none). */
  reminderHoursBefore: z.number().int().min(0).max(14 * 24),
  /** Buffer after each service, by service id (cleaning the room); absent: 0. */
  bufferMinutes: z.record(z.string().max(64), z.number().int().min(0).max(240)),
  exceptions: z.array(bookingExceptionSchema).max(500),
});
export type BookingSettings = z.infer<typeof bookingSettingsSchema>;
/** Booking settings as the store reads them back: exceptions may hold days stored before they were checked (`storedDate`). */
export const storedBookingSettingsSchema = bookingSettingsSchema.extend({ exceptions: z.array(exceptionSchemaOf(storedDate, (from, to) => from <= to)).max(500) });

export const defaultBookingSettings: BookingSettings = {
  slotStepMinutes: 30,
  minNoticeMinutes: 60,
  maxDaysAhead: 60,
  holdMinutes: 10,
  paymentTimeoutMinutes: 30,
  cancellationNoticeHours: 24,
  refundDepositOnCancel: true,
  reminderHoursBefore: 24,
  bufferMinutes: {},
  exceptions: [],
};

/** A bookable time: a service with one staff member, start and end as UTC ISO instants (end excludes the buffer). */
export interface Slot {
  readonly serviceId: string;
  readonly staffId: string;
  readonly start: string;
  readonly end: string;
}

/** One lock cell: a staff member's CELL_MINUTES of time starting at `start` (UTC ISO). */
export interface SlotCell {
  readonly staffId: string;
  readonly start: string;
}

export const bookingStatuses = ['held', 'awaiting_payment', 'confirmed', 'cancelled', 'failed', 'expired', 'no_show'] as const;
/**
 * `held`: cells locked until `holdExpiresAt`; `awaiting_payment`: held while a deposit is due (the hold is
 * extended to the payment timeout); `confirmed`: cells locked for good; `cancelled` / `failed` / `expired`:
 * cells released; `no_show`: a confirmed booking whose customer did not come (marked by staff after the start).
 */
export type BookingStatus = (typeof bookingStatuses)[number];
export const activeStatuses: readonly BookingStatus[] = ['held', 'awaiting_payment', 'confirmed'];

export type PaymentStatus = 'none' | 'pending' | 'paid' | 'refunded' | 'failed';

export interface BookingCustomer {
  readonly name: string;
  readonly phone?: string;
  readonly email?: string;
}

export interface Booking {
  readonly tenantId: string;
  readonly bookingId: string;
  readonly serviceId: string;
  readonly staffId: string;
  /** UTC ISO instants; `end` is start + duration (the buffer is locked but not shown). */
  readonly start: string;
  readonly end: string;
  readonly customer: BookingCustomer;
  /** How many people it is for ("a table for 4", a couples massage), when the customer or staff said it; absent: not said. */
  readonly partySize?: number;
  /** `phone:+34…` or `email:…` (lower case): finds a customer's bookings from any channel. */
  readonly customerKey: string;
  readonly status: BookingStatus;
  /** Why it ended (cancelled / failed / expired), in staff words. */
  readonly statusReason?: string;
  readonly priceCents: number;
  readonly depositCents: number;
  readonly currency: string;
  readonly payment: { readonly status: PaymentStatus; readonly provider?: 'stripe' | 'local'; readonly checkoutId?: string; readonly checkoutUrl?: string; readonly paymentId?: string; readonly paidAt?: string; readonly refundedAt?: string };
  /** The cells locked by this booking (duration + buffer). */
  readonly cells: readonly SlotCell[];
  /** While `held` / `awaiting_payment`. */
  readonly holdExpiresAt?: string;
  readonly conversationId?: string;
  readonly channel: 'web' | 'whatsapp' | 'sms' | 'messenger' | 'staff';
  readonly lang: string;
  readonly source: 'concierge' | 'staff';
  /** The staff member who booked / changed it (Cognito sub), for staff bookings. */
  readonly by?: string;
  /** The workflow execution driving it. */
  readonly executionId?: string;
  readonly calendarEventId?: string;
  /** The booking this one replaced (a reschedule). */
  readonly rescheduledFrom?: string;
  /** Whether the booking it replaced had been confirmed (analytics count a reschedule of a mere hold as a new booking). */
  readonly rescheduledFromConfirmed?: boolean;
  /**
   * Who cancelled it and what `booking.cancelled` said (status `cancelled`, since this field exists): a staff
   * member who asks again, their first answer lost, gets the same answer and the event is published again.
   */
  readonly cancellation?: { readonly actor: 'customer' | 'staff'; readonly by?: string; readonly refunded: boolean; readonly wasConfirmed: boolean };
  /**
   * The booking that replaced this one and who moved it (a reschedule; status `cancelled`, since this field exists):
   * the same mover asking again for the same new time, their first answer lost, gets that booking again and its
   * events are published again (docs/decisions.md 97).
   */
  readonly rescheduledTo?: RescheduledTo;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Optimistic-locking revision. */
  readonly rev: number;
}

/** Who moved a booking and where to: a customer (in the chat) or a staff member (their Cognito sub). */
export interface RescheduledTo {
  readonly bookingId: string;
  readonly actor: 'customer' | 'staff';
  readonly by?: string;
}

export type HoldResult = { readonly ok: true; readonly booking: Booking } | { readonly ok: false; readonly reason: 'taken' };

export interface BookingStore {
  /**
   * Writes the booking (status `held` or `awaiting_payment`, with `holdExpiresAt`) and one lock per cell, in one
   * transaction. A cell is free when no lock exists or its lock is an expired hold. `taken`: nothing written.
   * Idempotent for the same bookingId: holding again what this booking already holds returns ok.
   */
  hold(booking: Booking): Promise<HoldResult>;
  getBooking(tenantId: string, bookingId: string): Promise<Booking | undefined>;
  /**
   * Saves changes to a booking still at `previous.rev` and `previous.status`. Moving to `confirmed` makes its
   * cell locks permanent; moving to `cancelled` / `failed` / `expired` deletes its cell locks (only those still
   * owned by this booking) — all in one transaction. false: nothing written (changed meanwhile).
   */
  updateBooking(previous: Booking, next: Booking): Promise<boolean>;
  /**
   * A reschedule: holds `next` (a new booking, status as given) and cancels `previous` (releasing its cells) in one
   * transaction; cells `previous` owns count as free for `next`, and `previous` records `rescheduledTo` (next's id
   * and `mover`). `taken` when any new cell is busy.
   */
  replaceBooking(previous: Booking, next: Booking, mover: Omit<RescheduledTo, 'bookingId'>): Promise<HoldResult | { readonly ok: false; readonly reason: 'changed' }>;
  /** Busy cells of these staff between from (inclusive) and to (exclusive), UTC ISO; expired holds are not busy. */
  busyCells(tenantId: string, staffIds: readonly string[], from: string, to: string, now: Date): Promise<SlotCell[]>;
  /** Bookings starting in [from, to), by start; every status. */
  listBookings(tenantId: string, from: string, to: string): Promise<Booking[]>;
  /** A customer's bookings (see `Booking.customerKey`), by start; every status. */
  listCustomerBookings(tenantId: string, customerKey: string): Promise<Booking[]>;
  /** The workflow's task token waiting for this booking's payment. */
  putPaymentToken(tenantId: string, bookingId: string, token: string): Promise<void>;
  getPaymentToken(tenantId: string, bookingId: string): Promise<string | undefined>;
  getBookingSettings(tenantId: string): Promise<BookingSettings | undefined>;
  putBookingSettings(tenantId: string, settings: BookingSettings): Promise<void>;
  /** Whether the e-mail `ref` names was recorded as sent (`recordEmail`). */
  emailSent(ref: BookingEmailRef): Promise<boolean>;
  /**
   * Records that the e-mail `ref` names was accepted, for a retried workflow step to find (kept 30 days): a
   * conditional write, false (nothing written) when it was recorded already.
   */
  recordEmail(ref: BookingEmailRef): Promise<boolean>;
}

/**
 * One e-mail about one booking (core/booking/workflow.ts): which notice — `checkout`, `confirmed`, `reminder`,
 * `ended`, `kept`, `calendar-failed`, `late-payment`, `cancelled`, as in the customer message's clientId — and to whom.
 */
export interface BookingEmailRef {
  readonly tenantId: string;
  readonly bookingId: string;
  /** No `#`. */
  readonly notice: string;
  readonly to: 'customer' | 'staff';
}

/** A hosted checkout page for a deposit (Stripe Checkout, or the local cloud's checkout page). */
export interface CheckoutRequest {
  readonly tenantId: string;
  readonly bookingId: string;
  readonly amountCents: number;
  readonly currency: string;
  /** Shown on the page: "Deposit — Cleaning with Dr Byrne, Thu 4 Dec 14:00". */
  readonly description: string;
  readonly customerEmail?: string;
  /** When the page stops accepting payment. */
  readonly expiresAt: string;
  readonly lang: string;
}

export interface Payments {
  readonly provider: 'stripe' | 'local';
  /**
   * Creates the checkout; the booking id travels in its metadata (and back in the webhook). `expiresAt`: when the
   * page really stops accepting payment, given only when the provider moved the requested time (Stripe keeps it
   * between 30 minutes and 24 hours after creation); the payment wait and the customer's message follow it.
   */
  createCheckout(request: CheckoutRequest): Promise<{ checkoutId: string; url: string; expiresAt?: string }>;
  /** Refunds a paid deposit in full; idempotent per booking. */
  refund(input: { tenantId: string; bookingId: string; paymentId: string; amountCents: number }): Promise<{ refundId: string }>;
  /**
   * Stops an open checkout from taking payment (Stripe: `checkout.sessions.expire`), when the provider can: a
   * rescheduled booking's old link. Throws when the checkout is no longer open (paid, expired) or the provider
   * refused; callers treat it as best effort (a payment that got through anyway is applied to the booking that
   * replaced it, workflow.ts `onPaymentOutcome`).
   */
  expireCheckout?(input: { tenantId: string; bookingId: string; checkoutId: string }): Promise<void>;
}

/** A payment outcome, as the verified webhook reports it (`payment.succeeded` / `payment.failed` on the bus). */
export interface PaymentOutcome {
  readonly tenantId: string;
  readonly bookingId: string;
  readonly status: 'succeeded' | 'failed';
  readonly paymentId?: string;
  readonly amountCents?: number;
  readonly eventId: string;
}

export interface CalendarEvent {
  readonly tenantId: string;
  readonly bookingId: string;
  readonly staffId: string;
  readonly title: string;
  readonly description: string;
  readonly start: string;
  readonly end: string;
  readonly timezone: string;
  readonly attendeeEmail?: string;
  /** The customer's name, shown with the attendee (Calendly requires one for its invitee). */
  readonly attendeeName?: string;
}

/** The business's external calendar (Google, Outlook through Microsoft Graph, Calendly); `builtin` keeps bookings only here. */
export interface Calendar {
  readonly provider: 'builtin' | 'google' | 'microsoft' | 'calendly';
  /** Creates (or, with the same bookingId, replaces) the event; returns its id in the provider. */
  upsertEvent(event: CalendarEvent): Promise<{ eventId: string }>;
  deleteEvent(input: { tenantId: string; bookingId: string; eventId: string }): Promise<void>;
}

/** The lock cells of `minutes` of a staff member's time from `start` (UTC ISO, on a cell boundary), rounded up to whole cells. */
export function cellsFor(staffId: string, start: string, minutes: number): SlotCell[] {
  const first = Date.parse(start);
  if (Number.isNaN(first)) throw new Error(`invalid start: ${start}`);
  const count = Math.max(1, Math.ceil(minutes / CELL_MINUTES));
  return Array.from({ length: count }, (_, i) => ({ staffId, start: new Date(first + i * CELL_MINUTES * 60_000).toISOString() }));
}
