/**
 * Booking workflow steps retried by Step Functions (core/booking/workflow.ts): a Task whose function failed, timed
 * out or lost its answer runs again, so every step must do on the retry what its first attempt did not — the event
 * whose publish failed, the e-mail whose send failed, the text whose hand-over to the channel sender failed — and
 * never again what it did: the customer and the staff get each e-mail and message once.
 *
 * The real steps over the real DynamoDB adapters on the run's DynamoDB Local (a table of the test's own): bookings,
 * conversations, the e-mail outbox (the local cloud's EmailSender), SMS identities and opt-outs. The bus is an
 * in-memory publisher that can be made to refuse one publish (as PutEvents throws on a refused entry), the staff
 * e-mail a spy on the outbox's `send`; payments and the calendar stand for the outside world. The last tests run the
 * real state-machines/booking.asl.json (aws-local-stepfunctions) with its Retry blocks.
 *
 * A step retried after it fully succeeded (its answer was lost) publishes its event again: the copies carry one
 * idempotency key, and the analytics projector and the outbound webhooks apply it once.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path, { join } from 'node:path';
import { z } from 'zod';
import { DynamoAnalyticsStore } from '../../lambdas/adapters/dynamo/analytics-store';
import { DynamoBookingStore } from '../../lambdas/adapters/dynamo/booking-store';
import { DynamoIdentityStore } from '../../lambdas/adapters/dynamo/channel-store';
import { DynamoHandoffStore } from '../../lambdas/adapters/dynamo/handoff-store';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { DynamoWebhookStore } from '../../lambdas/adapters/dynamo/webhook-store';
import { DynamoChannelStore } from '../../lambdas/adapters/channels/delivery-store';
import { LocalSecretCipher } from '../../lambdas/adapters/integrations';
import { projectEvent } from '../../lambdas/core/analytics/projector';
import { cellsFor, defaultBookingSettings, type Booking, type BookingSettings, type Calendar, type Payments } from '../../lambdas/core/booking/ports';
import {
  stepCalendarFailed,
  stepCheckout,
  stepCompensate,
  stepConfirm,
  stepHold,
  stepNotify,
  onPaymentOutcome,
  stepRemind,
  type BookingWorkflowDeps,
} from '../../lambdas/core/booking/workflow';
import { cancelBooking, rescheduleBooking, type BookingDeps } from '../../lambdas/core/booking/service';
import type { OutgoingEmail } from '../../lambdas/core/handoff-ports';
import { provisionTenant } from '../../lambdas/core/knowledge';
import { knowledgeBaseSchema, type KnowledgeBase, type OpeningHours } from '../../lambdas/core/knowledge-base';
import { CachedCatalogue } from '../../lambdas/core/nlu/catalogue';
import type { ConciergeEvent, ConciergeEventType, EventPublisher } from '../../lambdas/core/ports';
import { createSubscription, dispatchEvent, type WebhookDeps } from '../../lambdas/core/webhooks/service';
import { newWidgetKey } from '../../lambdas/core/widget-key';
import { LocalWorkflows } from '../../local-cloud/workflows';
import { sharedTable, type SharedTable } from '../support/shared-table';

const ROOT = join(__dirname, '..', '..');
const CELL_MS = 15 * 60_000;
const clock = { now: () => new Date() };

let table: SharedTable;
let store: DynamoStore;
let bookings: DynamoBookingStore;
let handoffs: DynamoHandoffStore;
let channels: DynamoChannelStore;
let identities: DynamoIdentityStore;
let catalogue: CachedCatalogue;

const allWeek: OpeningHours[] = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, open: '00:00', close: '23:59' }));
const demo: KnowledgeBase = knowledgeBaseSchema.parse(JSON.parse(readFileSync(join(ROOT, 'local-cloud', 'seed', 'demo-kb.json'), 'utf8')));

beforeAll(async () => {
  table = await sharedTable('booking-retries');
  store = new DynamoStore(table.db, table.table, clock);
  bookings = new DynamoBookingStore(table.db, table.table, clock);
  handoffs = new DynamoHandoffStore(table.db, table.table, clock);
  channels = new DynamoChannelStore(table.db, table.table, clock);
  identities = new DynamoIdentityStore(table.db, table.table, clock);
  catalogue = new CachedCatalogue(store);
});

afterAll(async () => {
  table?.db.destroy();
  await table?.drop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

// ---- the world ---------------------------------------------------------------------------------------------

/** Stands for EventBridge: records what was put on the bus; `refuseOnce(type)` makes the next publish carrying that type throw (nothing put). */
class Bus implements EventPublisher {
  readonly events: ConciergeEvent[] = [];
  private readonly refusals: ConciergeEventType[] = [];
  refuseOnce(type: ConciergeEventType): void {
    this.refusals.push(type);
  }
  async publish(batch: readonly ConciergeEvent[]): Promise<void> {
    const refused = this.refusals.findIndex((type) => batch.some((e) => e.type === type));
    if (refused >= 0) {
      this.refusals.splice(refused, 1);
      throw new Error('EventBridge refused 1 event(s): InternalFailure: ');
    }
    this.events.push(...batch);
  }
  /** The details of the events of this type put on the bus. */
  of(type: ConciergeEventType): Record<string, unknown>[] {
    return this.events.filter((e) => e.type === type).map((e) => ({ ...e.detail }));
  }
}

/** Stands for Stripe: a checkout per booking, refunds recorded. */
class RecordingPayments implements Payments {
  readonly provider = 'local';
  readonly refunds: string[] = [];
  async createCheckout(request: { bookingId: string; expiresAt: string }): Promise<{ checkoutId: string; url: string }> {
    return { checkoutId: `cs_${request.bookingId}`, url: `https://pay.example/${request.bookingId}` };
  }
  async refund(input: { bookingId: string }): Promise<{ refundId: string }> {
    if (!this.refunds.includes(input.bookingId)) this.refunds.push(input.bookingId);
    return { refundId: `re_${input.bookingId}` };
  }
  /** The checkouts expired, in order. */
  readonly expired: string[] = [];
  async expireCheckout(input: { checkoutId: string }): Promise<void> {
    this.expired.push(input.checkoutId);
  }
}

const calendar: Calendar = {
  provider: 'builtin',
  upsertEvent: async (event) => ({ eventId: `builtin:${event.bookingId}` }),
  deleteEvent: async () => undefined,
};

interface World {
  readonly tenantId: string;
  readonly deps: BookingWorkflowDeps;
  readonly bus: Bus;
  readonly payments: RecordingPayments;
}

let tenantCounter = 0;
async function world(settings: Partial<BookingSettings> = {}): Promise<World> {
  const tenantId = `retries-${++tenantCounter}-${randomBytes(2).toString('hex')}`;
  const kb: KnowledgeBase = { ...demo, business: { ...demo.business, slug: tenantId }, hours: allWeek };
  await provisionTenant(store, { tenantId, widgetKey: newWidgetKey(tenantId), allowedOrigins: ['https://harbourdental.example'], kb });
  await bookings.putBookingSettings(tenantId, { ...defaultBookingSettings, minNoticeMinutes: 0, reminderHoursBefore: 0, ...settings });
  const bus = new Bus();
  const payments = new RecordingPayments();
  const deps: BookingWorkflowDeps = {
    bookings,
    catalogue,
    payments,
    calendar,
    events: bus,
    clock,
    conversations: store,
    connections: store,
    pusher: { push: async () => true },
    email: handoffs,
    staff: handoffs,
    optOuts: channels,
    identities,
  };
  return { tenantId, deps, bus, payments };
}

/** The first cell boundary at least `ms` from now. */
const boundaryAfter = (ms: number): string => new Date(Math.ceil((Date.now() + ms) / CELL_MS) * CELL_MS).toISOString();
let startOffset = 0;

/** A held booking of the demo clinic (rev 1, its cells locked), as service.bookSlot writes it; each at a time of its own. */
async function held(
  w: World,
  options: { conversationId?: string; customer?: Booking['customer']; serviceId?: string; start?: string; holdExpiresAt?: string; paid?: boolean } = {},
): Promise<Booking> {
  const service = demo.services.find((s) => s.id === (options.serviceId ?? 'checkup-clean'));
  if (!service) throw new Error('no such service');
  const start = options.start ?? boundaryAfter(3 * 24 * 3_600_000 + ++startOffset * 2 * 3_600_000);
  const now = new Date().toISOString();
  const customer = options.customer ?? { name: 'Aoife Byrne', phone: '+353871234567', email: 'aoife@example.com' };
  const booking: Booking = {
    tenantId: w.tenantId,
    bookingId: `bk${randomBytes(9).toString('base64url')}`,
    serviceId: service.id,
    staffId: 'marta-ruiz',
    start,
    end: new Date(Date.parse(start) + service.durationMinutes * 60_000).toISOString(),
    customer,
    customerKey: customer.phone ? `phone:${customer.phone}` : `email:${customer.email ?? 'x@example.com'}`,
    status: 'held',
    priceCents: service.priceCents,
    depositCents: service.depositCents,
    currency: service.currency,
    payment: options.paid ? { status: 'paid', provider: 'local', paymentId: 'pi_retry_1', paidAt: now } : { status: service.depositCents > 0 ? 'pending' : 'none' },
    cells: cellsFor('marta-ruiz', start, service.durationMinutes),
    holdExpiresAt: options.holdExpiresAt ?? new Date(Date.now() + 10 * 60_000).toISOString(),
    ...(options.conversationId ? { conversationId: options.conversationId } : {}),
    channel: options.conversationId ? 'web' : 'staff',
    lang: 'en',
    source: options.conversationId ? 'concierge' : 'staff',
    createdAt: now,
    updatedAt: now,
    rev: 1,
  };
  const out = await bookings.hold(booking);
  if (!out.ok) throw new Error('the test booking could not be held');
  return booking;
}

async function confirmed(w: World, options: Parameters<typeof held>[1] = {}): Promise<Booking> {
  const booking = await held(w, options);
  await stepConfirm(w.deps, booking);
  return booking;
}

const ref = (b: Booking) => ({ tenantId: b.tenantId, bookingId: b.bookingId });

async function conversation(w: World, channel: 'web' | 'whatsapp' = 'web'): Promise<string> {
  const visitor = channel === 'web' ? `visitor-${randomBytes(6).toString('hex')}` : `whatsapp:+3538${randomBytes(4).readUInt32BE() % 100_000_000}`;
  return (await store.startConversation(w.tenantId, visitor, 'en', channel)).conversationId;
}

/** The booking's e-mails in the outbox, to the customer (`to` includes their address) or to the staff. */
async function emails(b: Booking, to: 'customer' | 'staff'): Promise<OutgoingEmail[]> {
  const all = (await handoffs.listOutbox(b.tenantId, 200)).filter((e) => e.bookingId === b.bookingId);
  return all.filter((e) => (to === 'customer') === (b.customer.email !== undefined && e.to.includes(b.customer.email)));
}

/** The bot messages a booking step stored in a conversation (clientId `booking-<kind>-<bookingId>`). */
async function botMessages(tenantId: string, conversationId: string, kind: string, bookingId: string) {
  return (await store.listMessages(tenantId, conversationId, 0, 500)).filter((m) => m.role === 'bot' && m.clientId === `booking-${kind}-${bookingId}`);
}

/** Makes the next e-mail that `match` picks fail, as SES would (the others go to the outbox). */
function failEmailOnce(match: (email: OutgoingEmail) => boolean): void {
  const send = handoffs.send.bind(handoffs);
  let failed = false;
  jest.spyOn(handoffs, 'send').mockImplementation(async (email) => {
    if (!failed && match(email)) {
      failed = true;
      throw new Error('SES: Service Unavailable');
    }
    return send(email);
  });
}

const isStaff = (b: Booking) => (e: OutgoingEmail) => b.customer.email === undefined || !e.to.includes(b.customer.email);
const isCustomer = (b: Booking) => (e: OutgoingEmail) => b.customer.email !== undefined && e.to.includes(b.customer.email);
const refused = /EventBridge refused/;

// ---- a deposit paid after the booking ended ----------------------------------------------------------------

describe('a deposit paid after the booking ended, delivered again after a notice failed', () => {
  it('refunds once; the customer e-mail that failed is sent by the next delivery, the staff e-mail not again', async () => {
    const w = await world();
    const booking = await held(w, { serviceId: 'teeth-whitening' });
    const now = new Date().toISOString();
    const expired: Booking = { ...booking, status: 'expired', statusReason: 'deposit not paid within 10 minutes', payment: { status: 'failed' }, updatedAt: now, rev: booking.rev + 1 };
    expect(await bookings.updateBooking(booking, expired)).toBe(true);
    const deps = { ...w.deps, callbacks: { succeed: async () => false } };
    const outcome = { ...ref(booking), status: 'succeeded' as const, paymentId: 'pi_late_retry', amountCents: 5000, eventId: 'evt_late_retry' };

    // The refund is saved, then the customer's e-mail fails: the event target fails and EventBridge delivers again.
    failEmailOnce(isCustomer(booking));
    await expect(onPaymentOutcome(deps, outcome)).rejects.toThrow('SES');
    expect(await bookings.getBooking(booking.tenantId, booking.bookingId)).toMatchObject({ status: 'expired', payment: { status: 'refunded', paymentId: 'pi_late_retry' } });
    expect(await emails(booking, 'customer')).toEqual([]);

    expect(await onPaymentOutcome(deps, outcome)).toEqual({ handled: 'refunded' });
    expect(await emails(booking, 'customer')).toEqual([expect.objectContaining({ kind: 'booking.late_payment', to: ['aoife@example.com'] })]); // was never sent
    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.late_payment' })]);
    expect(w.payments.refunds).toEqual([booking.bookingId]);

    // A plain replay afterwards refunds nothing more and sends nothing more.
    await onPaymentOutcome(deps, outcome);
    expect(await emails(booking, 'customer')).toHaveLength(1);
    expect(await emails(booking, 'staff')).toHaveLength(1);
  });

  it('a deposit paid in time and refunded by a cancellation: its payment event replayed says nothing of a late payment', async () => {
    const w = await world();
    const booking = await held(w, { serviceId: 'teeth-whitening', paid: true });
    const now = new Date().toISOString();
    const cancelled: Booking = { ...booking, status: 'cancelled', payment: { ...booking.payment, status: 'refunded', refundedAt: now }, updatedAt: now, rev: booking.rev + 1 };
    expect(await bookings.updateBooking(booking, cancelled)).toBe(true);
    const deps = { ...w.deps, callbacks: { succeed: async () => false } };
    const replay = { ...ref(booking), status: 'succeeded' as const, paymentId: 'pi_retry_1', amountCents: 5000, eventId: 'evt_paid_in_time' };
    expect(await onPaymentOutcome(deps, replay)).toEqual({ handled: 'ignored' });
    expect(await emails(booking, 'customer')).toEqual([]);
    expect(await emails(booking, 'staff')).toEqual([]);
  });
});

// ---- a deposit paid on the link of a booking that was moved (decision 98) ------------------------------------

describe('a deposit paid on the link of a booking that was rescheduled, delivered again', () => {
  /** What the staff API gives the use cases, on this world. */
  const useCases = (w: World): BookingDeps => ({ bookings, catalogue, payments: w.payments, calendar, events: w.bus, clock });

  /** A whitening booking waiting for its deposit (its link sent), moved by staff to a time of its own. */
  async function moved(w: World, options: { conversationId?: string; customer?: Booking['customer'] } = {}): Promise<{ old: Booking; next: Booking }> {
    const booking = await held(w, { serviceId: 'teeth-whitening', ...options });
    await stepCheckout(w.deps, ref(booking));
    // 10:00 UTC (10:00 or 11:00 in Dublin: on the half-hour grid, within the hours) of a day of its own.
    const today = new Date();
    const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 20 + ++startOffset, 10)).toISOString();
    const slot = { serviceId: 'teeth-whitening', staffId: 'niamh-gallagher', start, end: new Date(Date.parse(start) + 90 * 60_000).toISOString() };
    const out = await rescheduleBooking(useCases(w), { tenantId: w.tenantId, bookingId: booking.bookingId, slot, actor: 'staff', by: 'staff-sub-1' });
    if (!out.ok) throw new Error(`not moved: ${out.reason}`);
    const old = await bookings.getBooking(w.tenantId, booking.bookingId);
    if (!old) throw new Error('gone');
    return { old, next: out.booking };
  }

  it('the old checkout is expired by the reschedule; a payment on it goes to the new booking once, and the workflow is answered by the redelivery', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const { old, next } = await moved(w, { conversationId });
    expect(w.payments.expired).toEqual([`cs_${old.bookingId}`]);
    // The new booking does not carry the old link: its own checkout is made by its workflow.
    expect(next.payment).toEqual({ status: 'pending' });
    await stepCheckout(w.deps, ref(next));
    await bookings.putPaymentToken(w.tenantId, next.bookingId, 'token-new');

    // The payment is recorded on the new booking, then answering its workflow fails (throttled): EventBridge delivers again.
    const answers: { token: string; output: Record<string, unknown> }[] = [];
    let fail = true;
    const callbacks = {
      succeed: async (token: string, output: Record<string, unknown>): Promise<boolean> => {
        if (fail) {
          fail = false;
          throw new Error('ThrottlingException: Rate exceeded');
        }
        answers.push({ token, output });
        return answers.length === 1;
      },
    };
    const deps = { ...w.deps, callbacks };
    const outcome = { ...ref(old), status: 'succeeded' as const, paymentId: 'pi_moved_1', amountCents: 5000, eventId: 'evt_moved_1' };
    await expect(onPaymentOutcome(deps, outcome)).rejects.toThrow('Throttling');
    const paid = await bookings.getBooking(w.tenantId, next.bookingId);
    expect(paid).toMatchObject({ status: 'awaiting_payment', payment: { status: 'paid', paymentId: 'pi_moved_1', paidAt: expect.any(String) } });
    // Its own page cannot take the deposit a second time.
    expect(w.payments.expired).toEqual([`cs_${old.bookingId}`, `cs_${next.bookingId}`]);

    expect(await onPaymentOutcome(deps, outcome)).toEqual({ handled: 'answered' });
    expect(answers).toEqual([{ token: 'token-new', output: { paid: true, paymentId: 'pi_moved_1' } }]);
    // A plain replay afterwards changes nothing (the token was answered), refunds nothing, tells nothing.
    expect(await onPaymentOutcome(deps, outcome)).toEqual({ handled: 'ignored' });
    expect(await bookings.getBooking(w.tenantId, next.bookingId)).toEqual(paid);
    expect(await bookings.getBooking(w.tenantId, old.bookingId)).toEqual(old);
    expect(w.payments.refunds).toEqual([]);
    expect(await botMessages(w.tenantId, conversationId, 'late-payment', old.bookingId)).toEqual([]);
    expect(await emails(old, 'staff')).toEqual([]);
  });

  it("the new booking's checkout, being made when the old payment arrives, is not sent: its step moves on as paid", async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const { old, next } = await moved(w, { conversationId });
    const deps = { ...w.deps, callbacks: { succeed: async () => false } };
    const create = w.payments.createCheckout.bind(w.payments);
    jest.spyOn(w.payments, 'createCheckout').mockImplementation(async (request) => {
      // The customer pays the old link while the new booking's page is being made.
      await onPaymentOutcome(deps, { ...ref(old), status: 'succeeded', paymentId: 'pi_moved_race', amountCents: 5000, eventId: 'evt_moved_race' });
      return create(request);
    });
    await expect(stepCheckout(w.deps, ref(next))).rejects.toMatchObject({ name: 'BookingPaid' });
    expect(await bookings.getBooking(w.tenantId, next.bookingId)).toMatchObject({ status: 'held', payment: { status: 'paid', paymentId: 'pi_moved_race' } });
    expect(await botMessages(w.tenantId, conversationId, 'checkout', next.bookingId)).toEqual([]);
    expect(w.payments.expired).toEqual([`cs_${old.bookingId}`, `cs_${next.bookingId}`]);
    await stepConfirm(w.deps, ref(next));
    expect((await bookings.getBooking(w.tenantId, next.bookingId))?.status).toBe('confirmed');
    expect(w.payments.refunds).toEqual([]);
  });

  it('the new booking cancelled since: refunded once on the old booking, the customer told why; an e-mail that failed is sent by the next delivery', async () => {
    const w = await world();
    const { old, next } = await moved(w);
    expect((await cancelBooking(useCases(w), { tenantId: w.tenantId, bookingId: next.bookingId, actor: 'staff', by: 'staff-sub-1' })).ok).toBe(true);
    const deps = { ...w.deps, callbacks: { succeed: async () => false } };
    const outcome = { ...ref(old), status: 'succeeded' as const, paymentId: 'pi_moved_gone', amountCents: 5000, eventId: 'evt_moved_gone' };

    failEmailOnce(isCustomer(old));
    await expect(onPaymentOutcome(deps, outcome)).rejects.toThrow('SES');
    expect(await bookings.getBooking(w.tenantId, old.bookingId)).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', paymentId: 'pi_moved_gone' } });
    expect(await onPaymentOutcome(deps, outcome)).toEqual({ handled: 'refunded' });
    const told = await emails(old, 'customer');
    expect(told.filter((e) => e.kind === 'booking.late_payment')).toEqual([expect.objectContaining({ to: ['aoife@example.com'] })]);
    const notice = told.find((e) => e.kind === 'booking.late_payment')?.text ?? '';
    expect(notice).toContain('which had been moved to');
    expect(notice).toContain('that new booking is no longer active');
    expect(notice).not.toContain('hold');
    expect((await emails(old, 'staff')).filter((e) => e.kind === 'booking.late_payment')).toEqual([expect.objectContaining({ subject: expect.stringContaining('moved booking') })]);
    expect(w.payments.refunds).toEqual([old.bookingId]);
    expect((await bookings.getBooking(w.tenantId, next.bookingId))?.payment.status).toBe('pending');

    await onPaymentOutcome(deps, outcome);
    expect((await emails(old, 'customer')).filter((e) => e.kind === 'booking.late_payment')).toHaveLength(1);
    expect(w.payments.refunds).toEqual([old.bookingId]);
  });
});

// ---- Compensate --------------------------------------------------------------------------------------------

describe('Compensate (a booking failed) retried after its notices', () => {
  it('with a conversation: the retry publishes booking.failed and the handoff request; customer and staff are told once', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const booking = await held(w, { conversationId });
    const input = { ...ref(booking), error: 'SlotTaken', cause: 'the hold expired and someone else holds that time now' };

    w.bus.refuseOnce('booking.failed');
    await expect(stepCompensate(w.deps, input)).rejects.toThrow(refused);
    expect(await stepCompensate(w.deps, input)).toEqual({ outcome: 'failed', refunded: false });

    expect((await bookings.getBooking(booking.tenantId, booking.bookingId))?.status).toBe('failed');
    expect(w.bus.of('booking.failed')).toEqual([expect.objectContaining({ bookingId: booking.bookingId, status: 'failed', reason: 'the held time was taken', refunded: false })]);
    expect(w.bus.of('handoff.requested')).toEqual([expect.objectContaining({ conversationId, reason: 'booking failed' })]);
    const told = await botMessages(w.tenantId, conversationId, 'ended', booking.bookingId);
    expect(told).toHaveLength(1);
    expect(told[0]?.text).toContain('that time is no longer free');
    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.failed', subject: expect.stringContaining('A booking failed') })]);
    // The conversation has a customer message, so no e-mail to the customer.
    expect(await emails(booking, 'customer')).toEqual([]);
  });

  it('a paid deposit: refunded once, and the retry still says so to the customer, the staff and the bus', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const booking = await held(w, { conversationId, serviceId: 'teeth-whitening', paid: true });
    const input = { ...ref(booking), error: 'States.TaskFailed', cause: 'the calendar is down' };

    w.bus.refuseOnce('booking.failed');
    await expect(stepCompensate(w.deps, input)).rejects.toThrow(refused);
    expect(await stepCompensate(w.deps, input)).toEqual({ outcome: 'failed', refunded: true });

    expect(w.payments.refunds).toEqual([booking.bookingId]);
    expect(await bookings.getBooking(booking.tenantId, booking.bookingId)).toMatchObject({ status: 'failed', payment: { status: 'refunded' } });
    expect(w.bus.of('booking.failed')).toEqual([expect.objectContaining({ bookingId: booking.bookingId, refunded: true })]);
    // The money given back is on the bus too (the analytics take it off the deposits collected), once per booking.
    expect(w.bus.of('payment.refunded')).toEqual([expect.objectContaining({ bookingId: booking.bookingId, amountCents: 5000, reason: 'failed', idempotencyKey: `payment.refunded:${booking.bookingId}` })]);
    expect(w.bus.of('handoff.requested')).toHaveLength(1);
    expect((await botMessages(w.tenantId, conversationId, 'ended', booking.bookingId)).map((m) => m.text)).toEqual([expect.stringContaining('€50.00')]);
    expect((await emails(booking, 'staff')).map((e) => e.text)).toEqual([expect.stringContaining('The deposit (50 EUR) was refunded')]);
  });

  it('without a conversation: the customer e-mail that failed is sent by the retry, the staff e-mail that went out is not sent again', async () => {
    const w = await world();
    const booking = await held(w);
    const input = { ...ref(booking), error: 'SlotTaken' };

    // The staff e-mail (sent after the customer's) must not be sent twice; make the customer's fail on the first attempt.
    failEmailOnce(isCustomer(booking));
    await expect(stepCompensate(w.deps, input)).rejects.toThrow('SES');
    expect(await stepCompensate(w.deps, input)).toEqual({ outcome: 'failed', refunded: false });
    // Then the retry's own answer is lost: Step Functions runs it once more.
    expect(await stepCompensate(w.deps, input)).toEqual({ outcome: 'failed', refunded: false });

    expect(await emails(booking, 'customer')).toEqual([expect.objectContaining({ kind: 'booking.failed', to: ['aoife@example.com'] })]);
    expect(await emails(booking, 'staff')).toHaveLength(1);
    // Published by each of the two attempts that got that far: one occurrence (one idempotency key).
    const failed = w.bus.of('booking.failed');
    expect(failed).toHaveLength(2);
    expect(new Set(failed.map((d) => d['idempotencyKey'])).size).toBe(1);
    // No conversation: nobody to hand over in the inbox.
    expect(w.bus.of('handoff.requested')).toEqual([]);
  });

  it('a confirmed booking (a later step failed): the staff are asked to check it once', async () => {
    const w = await world();
    const booking = await confirmed(w);
    const input = { ...ref(booking), error: 'States.Runtime' };
    expect(await stepCompensate(w.deps, input)).toEqual({ outcome: 'kept', refunded: false });
    expect(await stepCompensate(w.deps, input)).toEqual({ outcome: 'kept', refunded: false });
    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ subject: expect.stringContaining('Check a confirmed booking') })]);
  });
});

// ---- Notify ------------------------------------------------------------------------------------------------

describe('Notify (a booking confirmed) retried', () => {
  it('with a conversation, after the publish failed: booking.confirmed is published by the retry; one message, one staff e-mail', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const booking = await confirmed(w, { conversationId });

    w.bus.refuseOnce('booking.confirmed');
    await expect(stepNotify(w.deps, ref(booking))).rejects.toThrow(refused);
    expect(await stepNotify(w.deps, ref(booking))).toMatchObject({ remind: false, start: booking.start });

    expect(w.bus.of('booking.confirmed')).toEqual([expect.objectContaining({ bookingId: booking.bookingId, conversationId })]);
    expect(await botMessages(w.tenantId, conversationId, 'confirmed', booking.bookingId)).toHaveLength(1);
    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.confirmed' })]);
  });

  it('with a conversation, after the staff e-mail failed: the retry sends it, and publishes booking.confirmed', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const booking = await confirmed(w, { conversationId });

    failEmailOnce(isStaff(booking));
    await expect(stepNotify(w.deps, ref(booking))).rejects.toThrow('SES');
    await stepNotify(w.deps, ref(booking));

    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.confirmed' })]);
    expect(w.bus.of('booking.confirmed')).toHaveLength(1);
    expect(await botMessages(w.tenantId, conversationId, 'confirmed', booking.bookingId)).toHaveLength(1);
  });

  it('on WhatsApp, after the hand-over to the channel sender failed: the retry hands the stored confirmation over, and does the rest', async () => {
    const w = await world();
    const conversationId = await conversation(w, 'whatsapp');
    const booking = await confirmed(w, { conversationId });

    w.bus.refuseOnce('message.send');
    await expect(stepNotify(w.deps, ref(booking))).rejects.toThrow(refused);
    await stepNotify(w.deps, ref(booking));

    const stored = await botMessages(w.tenantId, conversationId, 'confirmed', booking.bookingId);
    expect(stored).toHaveLength(1);
    // The sender sends each (conversation, seq) once: handing it over again is how a retry makes sure it goes out.
    expect(w.bus.of('message.send')).toEqual([expect.objectContaining({ conversationId, seq: stored[0]?.seq, channel: 'whatsapp', kind: 'booking' })]);
    expect(await emails(booking, 'staff')).toHaveLength(1);
    expect(w.bus.of('booking.confirmed')).toHaveLength(1);
  });

  it('without a conversation (a staff booking), after the publish failed: the customer and the staff get one e-mail each', async () => {
    const w = await world();
    const booking = await confirmed(w);

    w.bus.refuseOnce('booking.confirmed');
    await expect(stepNotify(w.deps, ref(booking))).rejects.toThrow(refused);
    await stepNotify(w.deps, ref(booking));

    expect(await emails(booking, 'customer')).toEqual([expect.objectContaining({ kind: 'booking.confirmed', to: ['aoife@example.com'] })]);
    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.confirmed', subject: expect.stringContaining('New booking') })]);
    expect(w.bus.of('booking.confirmed')).toEqual([expect.objectContaining({ bookingId: booking.bookingId })]);
  });

  it('without a conversation, phone only: the text is stored once and handed to the sender even when its first hand-over failed', async () => {
    const w = await world();
    const phone = `+3538${String(10_000_000 + tenantCounter)}`;
    const booking = await confirmed(w, { customer: { name: 'Phone Only', phone } });

    w.bus.refuseOnce('message.send');
    await expect(stepNotify(w.deps, ref(booking))).rejects.toThrow(refused);
    w.bus.refuseOnce('booking.confirmed');
    await expect(stepNotify(w.deps, ref(booking))).rejects.toThrow(refused);
    await stepNotify(w.deps, ref(booking));

    const smsConversation = await store.getVisitorConversation(w.tenantId, `sms:${phone}`);
    const texts = await botMessages(w.tenantId, smsConversation ?? '', 'confirmed', booking.bookingId);
    expect(texts).toHaveLength(1);
    // Handed over by both retries (the sender sends it once: its delivery records are per conversation and seq).
    const handed = w.bus.of('message.send');
    expect(handed.length).toBeGreaterThanOrEqual(1);
    expect(handed.every((d) => d['conversationId'] === smsConversation && d['seq'] === texts[0]?.seq)).toBe(true);
    expect(await emails(booking, 'staff')).toHaveLength(1);
    expect(w.bus.of('booking.confirmed')).toHaveLength(1);
  });

  it('after it fully succeeded (its answer was lost): nothing is sent again, and the event published twice counts once', async () => {
    const w = await world();
    const booking = await confirmed(w);
    await stepNotify(w.deps, ref(booking));
    await stepNotify(w.deps, ref(booking));

    expect(await emails(booking, 'customer')).toHaveLength(1);
    expect(await emails(booking, 'staff')).toHaveLength(1);
    const copies = w.bus.events.filter((e) => e.type === 'booking.confirmed');
    expect(copies).toHaveLength(2);
    expect(copies[0]?.detail).toEqual(copies[1]?.detail);

    // EventBridge gives each copy an id of its own; the analytics count the occurrence once.
    const analytics = new DynamoAnalyticsStore(table.db, table.table, clock);
    const projected = [];
    for (const copy of copies) {
      projected.push(
        await projectEvent({ analytics, conversations: store, tenants: store }, { id: randomBytes(16).toString('hex'), type: copy.type, time: new Date().toISOString(), tenantId: copy.tenantId, detail: copy.detail }),
      );
    }
    expect(projected).toEqual(['applied', 'replayed']);
    const days = [...(await analytics.listDays(w.tenantId, '2000-01-01', '2100-01-01')).values()];
    expect(days.reduce((sum, day) => sum + (day['bookingsMade'] ?? 0), 0)).toBe(1);

    // …and the outbound webhooks POST it once.
    const posts: string[] = [];
    const webhooks: WebhookDeps = {
      webhooks: new DynamoWebhookStore(table.db, table.table, new LocalSecretCipher(randomBytes(32)), clock),
      transport: { post: async (_url, body) => (posts.push(body), { status: 204, ms: 1 }) },
      clock,
      urlPolicy: { allowLoopback: false },
      payloads: { bookings, catalogue },
    };
    await createSubscription(webhooks, w.tenantId, 'owner', { url: 'https://hooks.example/concierge', events: ['booking.created'] });
    for (const copy of copies) {
      await dispatchEvent(webhooks, { id: randomBytes(16).toString('hex'), type: copy.type, time: new Date().toISOString(), tenantId: copy.tenantId, detail: copy.detail });
    }
    expect(posts.map((p) => z.object({ type: z.string() }).parse(JSON.parse(p)).type)).toEqual(['booking.created']);
  });
});

// ---- Remind ------------------------------------------------------------------------------------------------

describe('Remind retried after the publish failed', () => {
  it('with a conversation: booking.reminded is published by the retry; one reminder message, one reminder e-mail', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const booking = await confirmed(w, { conversationId });
    const input = { ...ref(booking), start: booking.start };

    w.bus.refuseOnce('booking.reminded');
    await expect(stepRemind(w.deps, input)).rejects.toThrow(refused);
    expect(await stepRemind(w.deps, input)).toEqual({ reminded: true });

    expect(w.bus.of('booking.reminded')).toEqual([expect.objectContaining({ bookingId: booking.bookingId, start: booking.start })]);
    expect(await botMessages(w.tenantId, conversationId, 'reminder', booking.bookingId)).toHaveLength(1);
    expect(await emails(booking, 'customer')).toEqual([expect.objectContaining({ kind: 'booking.reminder' })]);
  });

  it('without a conversation: the reminder e-mail is not sent again, booking.reminded is published', async () => {
    const w = await world();
    const booking = await confirmed(w);
    const input = { ...ref(booking), start: booking.start };

    w.bus.refuseOnce('booking.reminded');
    await expect(stepRemind(w.deps, input)).rejects.toThrow(refused);
    expect(await stepRemind(w.deps, input)).toEqual({ reminded: true });

    expect(await emails(booking, 'customer')).toEqual([expect.objectContaining({ kind: 'booking.reminder', to: ['aoife@example.com'] })]);
    expect(w.bus.of('booking.reminded')).toHaveLength(1);
  });
});

// ---- the other e-mails ---------------------------------------------------------------------------------------

describe('steps retried after their e-mail went out (or failed)', () => {
  it('CalendarFailed: the staff are asked to add the booking by hand once; a send that failed is made by the retry', async () => {
    const w = await world();
    const first = await confirmed(w);
    await stepCalendarFailed(w.deps, { ...ref(first), error: 'Google: 503' });
    await stepCalendarFailed(w.deps, { ...ref(first), error: 'Google: 503' });
    expect(await emails(first, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.calendar_failed' })]);

    const second = await confirmed(w);
    failEmailOnce(isStaff(second));
    await expect(stepCalendarFailed(w.deps, ref(second))).rejects.toThrow('SES');
    await stepCalendarFailed(w.deps, ref(second));
    expect(await emails(second, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.calendar_failed' })]);
  });

  it('CreateCheckout without a conversation: the payment link is e-mailed to the customer once', async () => {
    const w = await world({ paymentTimeoutMinutes: 60 });
    const booking = await held(w, { serviceId: 'teeth-whitening' });
    const first = await stepCheckout(w.deps, ref(booking));
    // Its answer was lost: the retry reuses the checkout and sends nothing more.
    const again = await stepCheckout(w.deps, ref(booking));
    expect(again.expiresAt).toBe(first.expiresAt);
    const sent = await emails(booking, 'customer');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.text).toContain(`https://pay.example/${booking.bookingId}`);
  });
});

// ---- the real ASL --------------------------------------------------------------------------------------------

describe('the real booking ASL with its Retry blocks', () => {
  const task = z.object({
    step: z.string(),
    executionId: z.string().optional(),
    input: z
      .object({
        detail: z.object({ tenantId: z.string(), bookingId: z.string() }),
        error: z.object({ Error: z.string(), Cause: z.string().optional() }).loose().optional(),
        notify: z.object({ start: z.string() }).loose().optional(),
      })
      .loose(),
  });

  /** The booking steps as handlers/workflow-task.ts runs them, on this test's world. */
  function workflows(w: World, calls: string[]): LocalWorkflows {
    return new LocalWorkflows({
      rootDir: path.resolve(ROOT),
      retryScale: 0,
      // A reminder a minute or two ahead takes ~0.1 s.
      waitScale: 0.001,
      invokeFunction: async (_fn, raw) => {
        const { step, executionId, input } = task.parse(raw);
        calls.push(step);
        const r = { tenantId: input.detail.tenantId, bookingId: input.detail.bookingId };
        switch (step) {
          case 'booking.hold':
            return stepHold(w.deps, { ...r, executionId: executionId ?? '' });
          case 'booking.confirm':
            return stepConfirm(w.deps, r);
          case 'booking.calendar':
            return { provider: 'builtin', eventId: `builtin:${r.bookingId}` };
          case 'booking.notify':
            return stepNotify(w.deps, r);
          case 'booking.remind':
            return stepRemind(w.deps, { ...r, start: input.notify?.start ?? '' });
          case 'booking.compensate':
            return stepCompensate(w.deps, { ...r, ...(input.error ? { error: input.error.Error } : {}) });
          default:
            throw new Error(`unexpected step ${step}`);
        }
      },
    });
  }

  it('Notify and Remind each fail once on their publish: retried, the customer and the staff get everything once, the bus every event once', async () => {
    const w = await world({ reminderHoursBefore: 24 });
    const conversationId = await conversation(w);
    // The reminder is due about two minutes from now (~0.12 s at this wait scale).
    const booking = await held(w, { conversationId, start: boundaryAfter(24 * 3_600_000 + 2 * 60_000) });
    w.bus.refuseOnce('booking.confirmed');
    w.bus.refuseOnce('booking.reminded');
    const calls: string[] = [];
    const local = workflows(w, calls);

    const { executionArn } = local.startExecution('booking', { detail: ref(booking) });
    expect((await local.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    expect(calls).toEqual(['booking.hold', 'booking.confirm', 'booking.calendar', 'booking.notify', 'booking.notify', 'booking.remind', 'booking.remind']);

    expect(await botMessages(w.tenantId, conversationId, 'confirmed', booking.bookingId)).toHaveLength(1);
    expect(await botMessages(w.tenantId, conversationId, 'reminder', booking.bookingId)).toHaveLength(1);
    expect(await emails(booking, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.confirmed' })]);
    expect(await emails(booking, 'customer')).toEqual([expect.objectContaining({ kind: 'booking.reminder' })]);
    expect(w.bus.events.map((e) => e.type)).toEqual(['booking.confirmed', 'booking.reminded']);
  });

  it('Compensate fails once on its publish: retried, booking.failed and the handoff request are published, everyone told once', async () => {
    const w = await world();
    const conversationId = await conversation(w);
    const start = boundaryAfter(5 * 24 * 3_600_000);
    // The hold ran out before the workflow ran, and another booking took its last cell: HoldSlot fails (SlotTaken).
    const a = await held(w, { conversationId, start, holdExpiresAt: new Date(Date.now() - 60_000).toISOString() });
    const last = a.cells[a.cells.length - 1];
    if (!last) throw new Error('no cells');
    await held(w, { start: last.start });
    w.bus.refuseOnce('booking.failed');
    const calls: string[] = [];
    const local = workflows(w, calls);

    const { executionArn } = local.startExecution('booking', { detail: ref(a) });
    expect(await local.waitForExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'BookingFailed' });
    expect(calls).toEqual(['booking.hold', 'booking.compensate', 'booking.compensate']);

    expect((await bookings.getBooking(a.tenantId, a.bookingId))?.status).toBe('failed');
    expect(w.bus.events.map((e) => e.type)).toEqual(['booking.failed', 'handoff.requested']);
    expect(w.bus.of('handoff.requested')).toEqual([expect.objectContaining({ conversationId, reason: 'booking failed' })]);
    expect(await botMessages(w.tenantId, conversationId, 'ended', a.bookingId)).toHaveLength(1);
    expect(await emails(a, 'staff')).toEqual([expect.objectContaining({ kind: 'booking.failed' })]);
  });
});
