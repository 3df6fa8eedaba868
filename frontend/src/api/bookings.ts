/**
 * The bookings part of the admin API (calendar, manual bookings, cancel and
 * reschedule, free slots, booking settings): decoders (the decoders are the
 * types) and a small client built on `ApiClient.call`. The settings shape is
 * checked at compile time against the server's zod schema in
 * lambdas/core/booking/ports.ts (type-only import).
 */
import type { BookingSettings as ServerBookingSettings } from '../../../lambdas/core/booking/ports';
import { ApiError } from '../lib/api-error';
import { DecodeError, array, boolean, isRecord, number, object, oneOf, optional, string, type Decoder, type Infer } from '../lib/decode';
import type { ApiClient, RequestOptions } from './client';

export const bookingStatuses = ['held', 'awaiting_payment', 'confirmed', 'cancelled', 'failed', 'expired', 'no_show'] as const;
export const activeBookingStatuses: readonly BookingStatus[] = ['held', 'awaiting_payment', 'confirmed'];
export const slotProblems = ['unknown_service', 'unknown_staff', 'staff_does_not_do_service', 'past', 'closed', 'beyond_horizon', 'fully_booked'] as const;

export const slotDecoder = object({ serviceId: string, staffId: string, start: string, end: string });

export const bookingDecoder = object({
  bookingId: string,
  serviceId: string,
  staffId: string,
  start: string,
  end: string,
  customer: object({ name: string, phone: optional(string), email: optional(string) }),
  /** How many people it is for, when said. */
  partySize: optional(number),
  status: oneOf(...bookingStatuses),
  statusReason: optional(string),
  priceCents: number,
  depositCents: number,
  currency: string,
  payment: object({
    status: oneOf('none', 'pending', 'paid', 'refunded', 'failed'),
    provider: optional(oneOf('stripe', 'local')),
    /** The deposit's payment link, while it is due. */
    checkoutUrl: optional(string),
    paymentId: optional(string),
    paidAt: optional(string),
    refundedAt: optional(string),
  }),
  holdExpiresAt: optional(string),
  conversationId: optional(string),
  channel: oneOf('web', 'whatsapp', 'sms', 'messenger', 'staff'),
  lang: string,
  source: oneOf('concierge', 'staff'),
  by: optional(string),
  rescheduledFrom: optional(string),
  createdAt: string,
  updatedAt: string,
});

export const bookingListDecoder = object({ from: string, to: string, timezone: string, items: array(bookingDecoder) });
export const bookingResultDecoder = object({ booking: bookingDecoder });
export const cancelResultDecoder = object({ booking: bookingDecoder, refunded: boolean });
export const availabilityDecoder = object({ slots: array(slotDecoder), problem: optional(oneOf(...slotProblems)), alternatives: array(slotDecoder) });

const numberRecord: Decoder<Record<string, number>> = (value, path = '') => {
  if (!isRecord(value)) throw new DecodeError(path, 'an object');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) out[k] = number(v, `${path}.${k}`);
  return out;
};

export const bookingExceptionDecoder = object({
  id: string,
  from: string,
  to: string,
  staffId: optional(string),
  open: optional(string),
  close: optional(string),
  reason: string,
});

export const bookingSettingsDecoder = object({
  slotStepMinutes: number,
  minNoticeMinutes: number,
  maxDaysAhead: number,
  holdMinutes: number,
  paymentTimeoutMinutes: number,
  cancellationNoticeHours: number,
  refundDepositOnCancel: boolean,
  reminderHoursBefore: number,
  bufferMinutes: numberRecord,
  exceptions: array(bookingExceptionDecoder),
});

export type BookingStatus = (typeof bookingStatuses)[number];
export type SlotProblem = (typeof slotProblems)[number];
export type Slot = Infer<typeof slotDecoder>;
export type Booking = Infer<typeof bookingDecoder>;
export type BookingList = Infer<typeof bookingListDecoder>;
export type Availability = Infer<typeof availabilityDecoder>;
export type BookingException = Infer<typeof bookingExceptionDecoder>;
export type BookingSettings = Infer<typeof bookingSettingsDecoder>;

export interface NewBooking {
  readonly serviceId: string;
  readonly staffId: string;
  readonly start: string;
  readonly customer: { readonly name: string; readonly phone?: string; readonly email?: string };
  /** How many people it is for (1..50; the server refuses anything else, naming `partySize`). */
  readonly partySize?: number;
  readonly lang: string;
}

/** A booking the server refused: 409 (`alternatives`: the nearest free slots) or 400 (`problem`: why). */
export class SlotRefusedError extends ApiError {
  readonly problem?: SlotProblem;
  readonly alternatives: readonly Slot[];

  constructor(cause: ApiError, problem: SlotProblem | undefined, alternatives: readonly Slot[]) {
    super({ status: cause.status, code: cause.code, message: cause.message, ...(cause.field !== undefined ? { field: cause.field } : {}) });
    this.name = 'SlotRefusedError';
    if (problem !== undefined) this.problem = problem;
    this.alternatives = alternatives;
  }
}

/** Reads `problem` / `alternatives` from a refused booking's error body, when present. */
export function slotRefusal(error: unknown): SlotRefusedError | undefined {
  if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 409)) return undefined;
  const body = error.body;
  if (!isRecord(body)) return undefined;
  const problem = oneOf(...slotProblems);
  const parsed = {
    problem: typeof body['problem'] === 'string' ? optional(problem)(body['problem']) : undefined,
    alternatives: Array.isArray(body['alternatives']) ? array(slotDecoder)(body['alternatives']) : [],
  };
  if (parsed.problem === undefined && !Array.isArray(body['alternatives'])) return undefined;
  return new SlotRefusedError(error, parsed.problem, parsed.alternatives);
}

export interface BookingsApi {
  list(range: { from: string; to: string }, options?: RequestOptions): Promise<BookingList>;
  get(bookingId: string, options?: RequestOptions): Promise<Booking>;
  /** Throws SlotRefusedError when the slot was taken (409) or cannot be booked (400 with a problem). */
  create(input: NewBooking, options?: RequestOptions): Promise<Booking>;
  cancel(bookingId: string, reason: string, options?: RequestOptions): Promise<{ booking: Booking; refunded: boolean }>;
  reschedule(bookingId: string, input: { start: string; staffId?: string }, options?: RequestOptions): Promise<Booking>;
  availability(query: { serviceId: string; date: string; staffId?: string }, options?: RequestOptions): Promise<Availability>;
  getSettings(options?: RequestOptions): Promise<BookingSettings>;
  putSettings(settings: BookingSettings, options?: RequestOptions): Promise<BookingSettings>;
}

async function refusing<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw slotRefusal(err) ?? err;
  }
}

export function bookingsApi(api: ApiClient): BookingsApi {
  const id = (bookingId: string): string => encodeURIComponent(bookingId);
  return {
    list: (range, o) =>
      api.call('GET', `/v1/admin/bookings?${new URLSearchParams({ from: range.from, to: range.to }).toString()}`, bookingListDecoder, undefined, o),
    get: async (bookingId, o) => (await api.call('GET', `/v1/admin/bookings/${id(bookingId)}`, bookingResultDecoder, undefined, o)).booking,
    create: async (input, o) => (await refusing(api.call('POST', '/v1/admin/bookings', bookingResultDecoder, input, o))).booking,
    cancel: (bookingId, reason, o) => api.call('POST', `/v1/admin/bookings/${id(bookingId)}/cancel`, cancelResultDecoder, { reason }, o),
    reschedule: async (bookingId, input, o) =>
      (await refusing(api.call('POST', `/v1/admin/bookings/${id(bookingId)}/reschedule`, bookingResultDecoder, input, o))).booking,
    availability: (query, o) => {
      const params = new URLSearchParams({ serviceId: query.serviceId, date: query.date });
      if (query.staffId !== undefined) params.set('staffId', query.staffId);
      return api.call('GET', `/v1/admin/availability?${params.toString()}`, availabilityDecoder, undefined, o);
    },
    getSettings: (o) => api.call('GET', '/v1/admin/booking-settings', bookingSettingsDecoder, undefined, o),
    putSettings: (settings, o) => api.call('PUT', '/v1/admin/booking-settings', bookingSettingsDecoder, settings, o),
  };
}

// Compile-time guard: the decoder above and the server's schema describe the same settings.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type BookingSettingsMatchServer = Assert<Same<BookingSettings, ServerBookingSettings>>;
