/**
 * The public events of Concierge's outbound webhooks: their names, which bus event each comes from, and their
 * payloads — a stable, documented shape (docs/webhooks.md) carrying ids and the least personal data a CRM needs
 * (a customer's phone / e-mail / name; a booking's service, staff, times, status and deposit). The schemas are the
 * contract: payloads are built, then parsed with them, so what leaves is exactly what is documented.
 */
import { z } from 'zod';
import type { Booking, BookingStore } from '../booking/ports';
import type { CatalogueSource } from '../nlu/catalogue';
import type { ConciergeEventType } from '../ports';

import { webhookEventTypes, type WebhookEventType } from './event-types';

export { webhookEventTypes, type WebhookEventType };

/** The bus events the OutboundWebhooks rule routes to the dispatcher (`handoff.transition`: only into `closed` counts). */
export const webhookSourceEvents = [
  'customer.created',
  'handoff.transition',
  'handoff.requested',
  'booking.confirmed',
  'booking.changed',
  'booking.cancelled',
  'payment.succeeded',
] as const satisfies readonly ConciergeEventType[];
export type WebhookSourceEvent = (typeof webhookSourceEvents)[number];

const customerSchema = z.object({
  /** `phone:+34…` or `email:…`: the key the customer's bookings and conversations are kept under. */
  key: z.string().optional(),
  name: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
});

const bookingSchema = z.object({
  id: z.string(),
  status: z.string(),
  service: z.object({ id: z.string(), name: z.string().optional() }),
  staff: z.object({ id: z.string(), name: z.string().optional() }),
  start: z.string(),
  end: z.string(),
  /** How many people it is for, when the customer or staff said it. */
  partySize: z.number().int().optional(),
  deposit: z.object({ amountCents: z.number().int(), currency: z.string(), status: z.string() }),
  conversationId: z.string().optional(),
  /** booking.changed: the booking this one replaced. */
  previousBookingId: z.string().optional(),
});

/** `data` of each public event type. */
export const webhookDataSchemas = {
  'customer.created': z.object({ customer: customerSchema, channel: z.string().optional(), conversationId: z.string().optional() }),
  'conversation.closed': z.object({ conversationId: z.string(), reason: z.string().optional(), closedAt: z.string() }),
  'handoff.requested': z.object({ conversationId: z.string(), reason: z.string().optional() }),
  'booking.created': z.object({ booking: bookingSchema, customer: customerSchema }),
  'booking.changed': z.object({ booking: bookingSchema, customer: customerSchema }),
  'booking.cancelled': z.object({ booking: bookingSchema, customer: customerSchema }),
  'payment.succeeded': z.object({ bookingId: z.string(), paymentId: z.string().optional(), amountCents: z.number().int().optional(), currency: z.string().optional() }),
  ping: z.object({ webhookId: z.string() }),
} as const;

/** Every public event: `id` is the bus event's id (stable across retries and redeliveries). */
export const webhookEventSchema = z.object({
  id: z.string().min(1),
  type: z.enum([...webhookEventTypes, 'ping']),
  createdAt: z.string(),
  tenantId: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/** A bus event as the dispatcher receives it (EventBridge envelope, already parsed). */
export interface SourceEvent {
  readonly id: string;
  readonly type: string;
  readonly time: string;
  readonly tenantId: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface PayloadDeps {
  readonly bookings: Pick<BookingStore, 'getBooking'>;
  readonly catalogue: CatalogueSource;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const int = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);

/** `phone:+34…` / `email:…` → the customer fields it names. */
export function customerOfKey(customerKey: string | undefined): z.infer<typeof customerSchema> {
  if (!customerKey) return {};
  if (customerKey.startsWith('phone:')) return { key: customerKey, phone: customerKey.slice('phone:'.length) };
  if (customerKey.startsWith('email:')) return { key: customerKey, email: customerKey.slice('email:'.length) };
  return {};
}

/** The public type of a bus event, or undefined when it is not one subscribers get (a handoff change that did not close). */
export function publicTypeOf(type: string, detail: Readonly<Record<string, unknown>>): WebhookEventType | undefined {
  switch (type) {
    case 'customer.created':
    case 'handoff.requested':
    case 'booking.changed':
    case 'booking.cancelled':
    case 'payment.succeeded':
      return type;
    case 'booking.confirmed':
      return 'booking.created';
    case 'handoff.transition':
      return detail['toMode'] === 'closed' ? 'conversation.closed' : undefined;
    default:
      return undefined;
  }
}

async function bookingData(deps: PayloadDeps, booking: Booking, previousBookingId: string | undefined) {
  const catalogue = await deps.catalogue.catalogue(booking.tenantId).catch(() => undefined);
  const service = catalogue?.services.find((s) => s.id === booking.serviceId);
  const staff = catalogue?.staff.find((s) => s.id === booking.staffId);
  return {
    booking: {
      id: booking.bookingId,
      status: booking.status,
      service: { id: booking.serviceId, ...(service ? { name: service.name } : {}) },
      staff: { id: booking.staffId, ...(staff ? { name: staff.name } : {}) },
      start: booking.start,
      end: booking.end,
      ...(booking.partySize !== undefined ? { partySize: booking.partySize } : {}),
      deposit: { amountCents: booking.depositCents, currency: booking.currency, status: booking.payment.status },
      ...(booking.conversationId ? { conversationId: booking.conversationId } : {}),
      ...(previousBookingId ? { previousBookingId } : {}),
    },
    customer: {
      key: booking.customerKey,
      name: booking.customer.name,
      ...(booking.customer.phone ? { phone: booking.customer.phone } : {}),
      ...(booking.customer.email ? { email: booking.customer.email } : {}),
    },
  };
}

/**
 * The public event of a bus event, or undefined when subscribers get nothing from it (not a public event, or its
 * booking is gone). Bookings are read for their current state: a payload names service and staff.
 */
export async function publicEventOf(deps: PayloadDeps, source: SourceEvent): Promise<WebhookEvent | undefined> {
  const type = publicTypeOf(source.type, source.detail);
  if (!type) return undefined;
  const d = source.detail;
  let data: unknown;
  switch (type) {
    case 'customer.created':
      data = {
        customer: { ...customerOfKey(str(d['customerKey'])), ...(str(d['name']) ? { name: str(d['name']) } : {}) },
        ...(str(d['channel']) ? { channel: str(d['channel']) } : {}),
        ...(str(d['conversationId']) ? { conversationId: str(d['conversationId']) } : {}),
      };
      break;
    case 'conversation.closed':
      data = { conversationId: str(d['conversationId']), ...(str(d['reason']) ? { reason: str(d['reason']) } : {}), closedAt: str(d['at']) ?? source.time };
      break;
    case 'handoff.requested':
      data = { conversationId: str(d['conversationId']), ...(str(d['reason']) ? { reason: str(d['reason']) } : {}) };
      break;
    case 'booking.created':
    case 'booking.changed':
    case 'booking.cancelled': {
      const bookingId = str(d['bookingId']);
      const booking = bookingId ? await deps.bookings.getBooking(source.tenantId, bookingId) : undefined;
      if (!booking) return undefined;
      data = await bookingData(deps, booking, str(d['previousBookingId']));
      break;
    }
    case 'payment.succeeded': {
      const bookingId = str(d['bookingId']);
      const booking = bookingId ? await deps.bookings.getBooking(source.tenantId, bookingId) : undefined;
      const amountCents = int(d['amountCents']);
      data = {
        bookingId,
        ...(str(d['paymentId']) ? { paymentId: str(d['paymentId']) } : {}),
        ...(amountCents !== undefined ? { amountCents } : {}),
        ...(booking ? { currency: booking.currency } : {}),
      };
      break;
    }
  }
  const parsed = webhookDataSchemas[type].safeParse(data);
  if (!parsed.success) return undefined;
  return { id: source.id, type, createdAt: source.time, tenantId: source.tenantId, data: parsed.data };
}

/** The contact a CRM keeps of a public event's customer (customer.created, booking.created), if it names one. */
export interface CrmContact {
  readonly email?: string;
  readonly phone?: string;
  readonly firstName?: string;
  readonly lastName?: string;
}

export function crmContactOf(event: WebhookEvent): CrmContact | undefined {
  if (event.type !== 'customer.created' && event.type !== 'booking.created') return undefined;
  const parsed = z.object({ customer: customerSchema }).safeParse(event.data);
  if (!parsed.success) return undefined;
  const { email, phone, name } = parsed.data.customer;
  if (!email && !phone) return undefined;
  const [first, ...rest] = (name ?? '').trim().split(/\s+/).filter((p) => p.length > 0);
  return {
    ...(email ? { email } : {}),
    ...(phone ? { phone } : {}),
    ...(first ? { firstName: first } : {}),
    ...(rest.length > 0 ? { lastName: rest.join(' ') } : {}),
  };
}
