/**
 * The task steps of the booking workflow (state-machines/booking.asl.json), and what a verified
 * payment outcome does to a booking waiting for its deposit (`onPaymentOutcome`, EventBridge).
 *
 * The conversation already holds the slot (service.ts `bookSlot`); the workflow takes it from
 * there: re-assert the hold → take the deposit if one is due (checkout link, then wait for the
 * payment's task token, racing the tenant's payment timeout) → confirm (cells permanent) → the
 * external calendar (a failure there never undoes a confirmed booking) → tell the customer and the
 * staff → wait until the reminder → remind. Every failure path ends in `stepCompensate`: the hold
 * is released, a paid deposit refunded, the customer told honestly; unless the deposit was simply
 * not paid in time, the conversation is handed to a person.
 *
 * The customer is told in the booking's conversation. A booking without one (staff made it) tells
 * them by e-mail when they gave an address, else by SMS to their phone (`tellElsewhere`).
 *
 * Every step can run twice (Step Functions retries a step that failed, timed out or lost its answer;
 * EventBridge replays), and a retry does what the first attempt did not, never again what it did:
 * booking changes are optimistic (`rev`); customer messages and texts carry a clientId per booking and
 * kind, so a retry stores them once and delivers the stored one again (the widget and the channel
 * senders de-duplicate); each e-mail is recorded right after it was accepted (`emailOnce`) and a retry
 * that finds the record sends none; and events carry an idempotency key per booking and type
 * (core/ports.ts `occurrenceIdOf`), so a retry publishes again and the consumers apply it once.
 */
import { sendSmsNotice, type SmsNoticeDeps } from '../channels/notices';
import { deliverToCustomer } from '../conversation';
import { sendOnce } from '../send-once';
import type { EmailSender, OutgoingEmail, StaffDirectory, TaskCallbacks } from '../handoff-ports';
import { serviceNameIn, type Service, type StaffMember } from '../knowledge-base';
import type { CatalogueSource } from '../nlu/catalogue';
import { IDEMPOTENCY_KEY, type Clock, type ConnectionPusher, type ConnectionStore, type ConversationStore, type EventPublisher } from '../ports';
import type { QuickReply } from '../protocol';
import {
  activeStatuses,
  type Booking,
  type BookingEmailRef,
  type BookingStatus,
  type BookingStore,
  type Calendar,
  type PaymentOutcome,
  type Payments,
} from './ports';
import { bookingSettingsOf, expireCheckout, refundedEvent } from './service';
import { bookingSms, bookingText, when, type BookingFacts } from './text';

/** The ports the workflow steps use. */
export interface BookingWorkflowDeps {
  readonly bookings: BookingStore;
  readonly catalogue: CatalogueSource;
  readonly payments: Payments;
  readonly calendar: Calendar;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly conversations: ConversationStore;
  readonly connections: ConnectionStore;
  readonly pusher: ConnectionPusher;
  /** Staff notices (and customer e-mails when the customer gave an address). */
  readonly email: EmailSender;
  readonly staff: Pick<StaffDirectory, 'listStaffMembers'>;
  /** SMS opt-outs: a customer texted about a booking without a conversation or an e-mail address (core/channels/notices.ts). */
  readonly optOuts: SmsNoticeDeps['optOuts'];
  /** Where such a customer's SMS conversation is recorded (under their phone). */
  readonly identities: SmsNoticeDeps['identities'];
}

/** What the payment events need besides: answering the workflow's payment task token. */
export interface BookingEventsDeps extends BookingWorkflowDeps {
  readonly callbacks: TaskCallbacks;
}

/** Which booking a step works on (from the `booking.requested` event the execution started with). */
export interface BookingRef {
  readonly tenantId: string;
  readonly bookingId: string;
}

// ---- named errors (their names are matched by the ASL's Retry and Catch) ------------------------------

/** The booking does not exist or is no longer in a state this step can work on. Never retried. */
export class BookingGone extends Error {
  override name = 'BookingGone';
}
/** Someone else holds the slot's time now (the hold expired before it could be re-asserted or confirmed). Never retried. */
export class SlotTaken extends Error {
  override name = 'SlotTaken';
}
/** Confirm found a deposit due and not paid. Never retried. */
export class PaymentMissing extends Error {
  override name = 'PaymentMissing';
}
/** Thrown by the payment wait when the deposit was already paid: the workflow moves on to Confirm. */
export class BookingPaid extends Error {
  override name = 'BookingPaid';
}

const MAX_ATTEMPTS = 5;
/** A hold outlives the payment wait by this much, so the slot is still ours while the timeout is handled. */
const HOLD_GRACE_MS = 5 * 60_000;
/** A reminder less than this far ahead is not worth a Wait. */
const REMINDER_MIN_LEAD_MS = 60_000;

const deadStatuses: readonly BookingStatus[] = ['cancelled', 'failed', 'expired', 'no_show'];

// ---- reading -------------------------------------------------------------------------------------------

async function bookingOf(deps: Pick<BookingWorkflowDeps, 'bookings'>, ref: BookingRef): Promise<Booking> {
  const booking = await deps.bookings.getBooking(ref.tenantId, ref.bookingId);
  if (!booking) throw new BookingGone(`no booking ${ref.bookingId}`);
  return booking;
}

interface Described {
  /** In the customer's words: the service's name in their language (core/knowledge-base.ts serviceNameIn). */
  readonly facts: BookingFacts;
  /** The service as the business names it, for staff and the calendar. */
  readonly staffService: string;
  readonly timezone: string;
  readonly businessName: string;
  readonly businessEmail?: string;
  readonly service?: Service;
  readonly staff?: StaffMember;
}

/** The booking in words: service and staff names from the catalogue, the local time in the business's zone. */
async function describe(deps: Pick<BookingWorkflowDeps, 'catalogue'>, booking: Booking): Promise<Described> {
  const catalogue = await deps.catalogue.catalogue(booking.tenantId);
  const service = catalogue?.services.find((s) => s.id === booking.serviceId);
  const staff = catalogue?.staff.find((s) => s.id === booking.staffId);
  const timezone = catalogue?.business.timezone ?? 'UTC';
  return {
    facts: {
      lang: booking.lang,
      service: service ? serviceNameIn(service, booking.lang) : booking.serviceId,
      staff: staff?.name ?? booking.staffId,
      when: when(booking.lang, booking.start, timezone),
      priceCents: booking.priceCents,
      depositCents: booking.depositCents,
      currency: booking.currency,
      ...(booking.partySize !== undefined ? { partySize: booking.partySize } : {}),
    },
    staffService: service?.name ?? booking.serviceId,
    timezone,
    businessName: catalogue?.business.name ?? booking.tenantId,
    ...(catalogue ? { businessEmail: catalogue.business.email } : {}),
    ...(service ? { service } : {}),
    ...(staff ? { staff } : {}),
  };
}

const depositDue = (b: Booking): boolean => b.depositCents > 0 && b.payment.status !== 'paid';

// ---- changing a booking --------------------------------------------------------------------------------

type Decision<R> = { readonly next: Booking; readonly result: R } | { readonly done: R };

/**
 * Reads the booking, lets `decide` plan a change (or answer without one) and saves it at the
 * revision read; a concurrent change makes it read and decide again.
 */
async function change<R>(
  deps: Pick<BookingWorkflowDeps, 'bookings' | 'clock'>,
  ref: BookingRef,
  decide: (booking: Booking) => Promise<Decision<R>> | Decision<R>,
  onStuck: (booking: Booking) => Error = () => new Error('the booking kept changing; try again'),
): Promise<{ result: R; changed?: { previous: Booking; next: Booking } }> {
  let last: Booking | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const booking = await bookingOf(deps, ref);
    const decision = await decide(booking);
    if ('done' in decision) return { result: decision.done };
    const next: Booking = { ...decision.next, updatedAt: deps.clock.now().toISOString(), rev: booking.rev + 1 };
    if (await deps.bookings.updateBooking(booking, next)) return { result: decision.result, changed: { previous: booking, next } };
    last = booking;
  }
  throw last ? onStuck(last) : new Error('the booking kept changing; try again');
}

/** The booking without its hold expiry (confirmed and ended bookings have none). */
function withoutHold(b: Booking): Booking {
  const { holdExpiresAt: _ignored, ...rest } = b;
  return rest;
}

// ---- telling people ------------------------------------------------------------------------------------

/**
 * Appends a bot message to the booking's conversation and pushes it to whoever watches it. The clientId
 * (one per booking and kind) makes a retry store it once; a retry delivers the stored message again, so a
 * delivery the first attempt did not finish is made (the widget de-duplicates by seq, the channel senders
 * by their delivery records: the customer sees it once). false when it was already stored.
 */
async function tellCustomer(
  deps: Pick<BookingWorkflowDeps, 'conversations' | 'connections' | 'pusher' | 'events'>,
  booking: Booking,
  kind: string,
  text: string,
  quickReplies?: readonly QuickReply[],
): Promise<boolean> {
  if (!booking.conversationId) return false;
  const conversation = await deps.conversations.getConversation(booking.tenantId, booking.conversationId);
  const stored = await deps.conversations.appendMessage(booking.tenantId, booking.conversationId, {
    role: 'bot',
    text,
    clientId: `booking-${kind}-${booking.bookingId}`,
    ...(quickReplies ? { quickReplies } : {}),
  });
  // On WhatsApp / SMS / Messenger the channel senders deliver it too (a reminder may need a template there).
  const where = conversation ?? { tenantId: booking.tenantId, conversationId: booking.conversationId, channel: 'web' as const };
  await deliverToCustomer(deps, where, stored.message, kind === 'reminder' ? 'reminder' : 'booking');
  return !stored.duplicate;
}

/** An e-mail about a booking, once per notice and recipient (`BookingEmailRef`) across a step's retries (core/send-once.ts). */
async function emailOnce(
  deps: Pick<BookingWorkflowDeps, 'bookings'>,
  booking: Pick<Booking, 'tenantId' | 'bookingId'>,
  notice: string,
  to: BookingEmailRef['to'],
  send: () => Promise<number>,
): Promise<number> {
  const ref: BookingEmailRef = { tenantId: booking.tenantId, bookingId: booking.bookingId, notice, to };
  return sendOnce({ sent: () => deps.bookings.emailSent(ref), record: () => deps.bookings.recordEmail(ref) }, send);
}

/** E-mails the business address and every admin seen so far, once per booking and `notice` (`emailOnce`). */
async function emailStaff(
  deps: Pick<BookingWorkflowDeps, 'email' | 'staff' | 'bookings'>,
  booking: Pick<Booking, 'tenantId' | 'bookingId'>,
  notice: string,
  d: Described,
  email: Omit<OutgoingEmail, 'to' | 'tenantId' | 'bookingId'>,
): Promise<void> {
  await emailOnce(deps, booking, notice, 'staff', async () => {
    const admins = (await deps.staff.listStaffMembers(booking.tenantId)).filter((m) => m.groups.includes('admin')).map((m) => m.email);
    const to = [...new Set([...(d.businessEmail ? [d.businessEmail] : []), ...admins])].sort();
    if (to.length === 0) return 0;
    await deps.email.send({ ...email, tenantId: booking.tenantId, bookingId: booking.bookingId, to });
    return to.length;
  });
}

/** E-mails the customer when they gave an address, once per booking and `notice` (`emailOnce`). */
async function emailCustomer(
  deps: Pick<BookingWorkflowDeps, 'email' | 'bookings'>,
  booking: Booking,
  notice: string,
  email: Omit<OutgoingEmail, 'to' | 'tenantId' | 'bookingId'>,
): Promise<void> {
  const address = booking.customer.email;
  if (!address) return;
  await emailOnce(deps, booking, notice, 'customer', async () => {
    await deps.email.send({ ...email, tenantId: booking.tenantId, bookingId: booking.bookingId, to: [address] });
    return 1;
  });
}

/** What makes a booking's event one occurrence however often a retried step publishes it (core/ports.ts `occurrenceIdOf`). */
const occurrence = (type: string, bookingId: string): Record<typeof IDEMPOTENCY_KEY, string> => ({ [IDEMPOTENCY_KEY]: `${type}:${bookingId}` });

/** What tells a customer outside the booking's conversation. */
type ElsewhereDeps = Pick<BookingWorkflowDeps, 'email' | 'bookings' | 'conversations' | 'connections' | 'pusher' | 'events' | 'optOuts' | 'identities'>;

/** How a customer was told (`none`: they cannot be reached here; staff have the booking, and its payment link, to phone them). */
export type Told = 'conversation' | 'email' | 'sms' | 'none';

/**
 * Tells the customer of a booking without a conversation (staff made it): by e-mail when they gave an address,
 * else by SMS to their phone — the business's short text (`sms`), in their SMS conversation, through the channel
 * sender (core/channels/notices.ts), never to a number that opted out. `kind` makes the text's clientId (one per
 * booking and kind) and names the e-mail's record, so a retried step texts or e-mails once.
 */
async function tellElsewhere(
  deps: ElsewhereDeps,
  booking: Booking,
  kind: string,
  notice: { readonly email: Omit<OutgoingEmail, 'to' | 'tenantId' | 'bookingId'>; readonly sms: string },
): Promise<Exclude<Told, 'conversation'>> {
  if (booking.customer.email) {
    await emailCustomer(deps, booking, kind, notice.email);
    return 'email';
  }
  const sent = await sendSmsNotice(deps, {
    tenantId: booking.tenantId,
    phone: booking.customer.phone,
    lang: booking.lang,
    clientId: `booking-${kind}-${booking.bookingId}`,
    text: notice.sms,
    kind: kind === 'reminder' ? 'reminder' : 'booking',
  });
  return sent.outcome === 'sent' || sent.outcome === 'duplicate' ? 'sms' : 'none';
}

const staffSummary = (b: Booking, d: Described): string =>
  [
    `Service: ${d.staffService}`,
    `With: ${d.facts.staff}`,
    `When: ${when('en', b.start, d.timezone)} (${d.timezone})`,
    ...(b.partySize !== undefined ? [`Party: ${b.partySize} ${b.partySize === 1 ? 'person' : 'people'}`] : []),
    `Customer: ${b.customer.name}${b.customer.phone ? `, ${b.customer.phone}` : ''}${b.customer.email ? `, ${b.customer.email}` : ''}`,
    `Booking: ${b.bookingId} (${b.channel})`,
  ].join('\n');

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));
/** RFC 3339 without fractional seconds, as Wait's TimestampPath wants it. */
const waitTimestamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

// ---- workflow steps ------------------------------------------------------------------------------------

export type HoldRoute = 'deposit' | 'confirm' | 'calendar' | 'done';

/**
 * HoldSlot: the conversation already holds the slot; this claims the booking for this execution and
 * re-asserts the hold when it expired meanwhile. A confirmed booking (a reschedule keeps its payment)
 * goes straight to the calendar; an ended booking, or one another execution drives, ends here.
 */
export async function stepHold(deps: BookingWorkflowDeps, input: BookingRef & { executionId: string }): Promise<{ route: HoldRoute }> {
  const settings = await bookingSettingsOf(deps, input.tenantId);
  const current = await bookingOf(deps, input);
  if (current.executionId !== undefined && current.executionId !== input.executionId) return { route: 'done' };
  if (deadStatuses.includes(current.status)) return { route: 'done' };

  const now = deps.clock.now();
  if (current.status !== 'confirmed' && (current.holdExpiresAt === undefined || Date.parse(current.holdExpiresAt) <= now.getTime())) {
    const held = await deps.bookings.hold({ ...current, holdExpiresAt: new Date(now.getTime() + settings.holdMinutes * 60_000).toISOString() });
    if (!held.ok) throw new SlotTaken('the hold expired and someone else holds that time now');
  }
  const { result } = await change<{ route: HoldRoute }>(deps, input, (b) => {
    const route: HoldRoute = deadStatuses.includes(b.status) ? 'done' : b.status === 'confirmed' ? 'calendar' : depositDue(b) ? 'deposit' : 'confirm';
    if (b.executionId === input.executionId || route === 'done') return { done: { route } };
    if (b.executionId !== undefined) return { done: { route: 'done' } };
    return { next: { ...b, executionId: input.executionId }, result: { route } };
  });
  return result;
}

/**
 * CreateCheckout: a checkout for the deposit (the booking id in its metadata), stored on the booking,
 * the hold extended to the payment timeout, and the link sent to the customer with the amount: in the
 * conversation, or when the booking has none (a staff booking; staff see the link on the booking too)
 * by e-mail, else by SMS. The timeout is the checkout's own expiry when the provider moved the one asked for.
 */
export async function stepCheckout(deps: BookingWorkflowDeps, input: BookingRef): Promise<{ timeoutSeconds: number; expiresAt: string }> {
  const settings = await bookingSettingsOf(deps, input.tenantId);
  const booking = await bookingOf(deps, input);
  if (booking.status !== 'held' && booking.status !== 'awaiting_payment') throw new BookingGone(`the booking is ${booking.status}`);
  if (booking.payment.status === 'paid') throw new BookingPaid('the deposit is already paid');
  const d = await describe(deps, booking);
  const now = deps.clock.now().getTime();
  const timeoutMs = settings.paymentTimeoutMinutes * 60_000;

  // A retry after the checkout was stored reuses it (and its expiry).
  const reused =
    booking.status === 'awaiting_payment' && booking.payment.checkoutId && booking.payment.checkoutUrl && booking.holdExpiresAt
      ? { checkout: { checkoutId: booking.payment.checkoutId, url: booking.payment.checkoutUrl }, expiresAt: new Date(Date.parse(booking.holdExpiresAt) - HOLD_GRACE_MS).toISOString() }
      : undefined;
  const create = async (): Promise<{ checkout: { checkoutId: string; url: string }; expiresAt: string }> => {
    const requested = new Date(now + timeoutMs).toISOString();
    const { checkoutId, url, expiresAt: moved } = await deps.payments.createCheckout({
      tenantId: booking.tenantId,
      bookingId: booking.bookingId,
      amountCents: booking.depositCents,
      currency: booking.currency,
      description: `${booking.lang.startsWith('es') ? 'Señal' : 'Deposit'} — ${d.facts.service}, ${d.facts.staff}, ${d.facts.when}`,
      ...(booking.customer.email ? { customerEmail: booking.customer.email } : {}),
      expiresAt: requested,
      lang: booking.lang,
    });
    // The provider may move the expiry (Stripe: 30 minutes to 24 hours): the wait and the message follow the page.
    return { checkout: { checkoutId, url }, expiresAt: moved ?? requested };
  };
  const { checkout, expiresAt } = reused ?? (await create());
  const { changed } = await change(
    deps,
    input,
    async (b) => {
      if (b.status !== 'held' && b.status !== 'awaiting_payment') throw new BookingGone(`the booking is ${b.status}`);
      // Paid meanwhile (the payment of the booking this one replaced, onPaymentOutcome): the new page is not sent.
      if (b.payment.status === 'paid') {
        if (!reused) await expireCheckout(deps, { tenantId: b.tenantId, bookingId: b.bookingId, payment: { status: 'pending', checkoutId: checkout.checkoutId } });
        throw new BookingPaid('the deposit is already paid');
      }
      if (b.status === 'awaiting_payment' && b.payment.checkoutId === checkout.checkoutId) return { done: undefined };
      return {
        next: {
          ...b,
          status: 'awaiting_payment',
          holdExpiresAt: new Date(Date.parse(expiresAt) + HOLD_GRACE_MS).toISOString(),
          payment: { ...b.payment, status: 'pending', provider: deps.payments.provider, checkoutId: checkout.checkoutId, checkoutUrl: checkout.url },
        },
        result: undefined,
      };
    },
    () => new SlotTaken('the hold could not be extended for the payment: someone else holds that time now'),
  );
  const minutes = Math.max(1, Math.round((Date.parse(expiresAt) - now) / 60_000));
  const current = changed?.next ?? booking;
  const text = bookingText.checkout(d.facts, checkout.url, minutes);
  if (current.conversationId) await tellCustomer(deps, current, 'checkout', text);
  // No conversation (a staff booking): by e-mail when there is an address (the outbox has no payment-link kind yet), else by SMS.
  else
    await tellElsewhere(deps, current, 'checkout', {
      email: { kind: 'booking.reminder', subject: `${d.businessName}: ${d.facts.service}, ${d.facts.when}`, text },
      sms: bookingSms.checkout(d.businessName, d.facts, checkout.url, minutes),
    });
  return { timeoutSeconds: seconds(Date.parse(expiresAt) - now), expiresAt };
}

/**
 * WaitForPayment (`.waitForTaskToken`): stores the token the payment event answers. A deposit already
 * paid meanwhile moves the workflow on (BookingPaid); a booking no longer waiting ends it (BookingGone).
 */
export async function stepAwaitPayment(deps: BookingWorkflowDeps, input: BookingRef & { taskToken: string }): Promise<{ waiting: true }> {
  await deps.bookings.putPaymentToken(input.tenantId, input.bookingId, input.taskToken);
  // Read after the token is stored: a payment recorded before it is seen here, one recorded after it finds the token.
  const booking = await bookingOf(deps, input);
  if (booking.payment.status === 'paid') throw new BookingPaid('the deposit is already paid');
  if (booking.status !== 'awaiting_payment' && booking.status !== 'held') throw new BookingGone(`the booking is ${booking.status}`);
  return { waiting: true };
}

/** Confirm: the booking becomes `confirmed` and its cells permanent. Idempotent. */
export async function stepConfirm(deps: BookingWorkflowDeps, input: BookingRef): Promise<{ status: 'confirmed' }> {
  await change(
    deps,
    input,
    (b) => {
      if (b.status === 'confirmed') return { done: undefined };
      if (b.status !== 'held' && b.status !== 'awaiting_payment') throw new BookingGone(`the booking is ${b.status}`);
      if (depositDue(b)) throw new PaymentMissing('the deposit is due and not paid');
      return { next: { ...withoutHold(b), status: 'confirmed' }, result: undefined };
    },
    // The same revision refused every time: its cells are no longer ours to make permanent.
    () => new SlotTaken('the held time could not be confirmed: someone else holds it now'),
  );
  return { status: 'confirmed' };
}

/** AddToCalendar: the event in the business's calendar (replaced, not duplicated, on a retry or a reschedule). */
export async function stepCalendar(deps: BookingWorkflowDeps, input: BookingRef): Promise<{ provider: Calendar['provider']; eventId: string }> {
  const booking = await bookingOf(deps, input);
  if (booking.status !== 'confirmed') throw new BookingGone(`the booking is ${booking.status}`);
  const d = await describe(deps, booking);
  const { eventId } = await deps.calendar.upsertEvent({
    tenantId: booking.tenantId,
    bookingId: booking.bookingId,
    staffId: booking.staffId,
    title: `${d.staffService} — ${booking.customer.name}`,
    description: staffSummary(booking, d),
    start: booking.start,
    end: booking.end,
    timezone: d.timezone,
    ...(booking.customer.email ? { attendeeEmail: booking.customer.email } : {}),
    attendeeName: booking.customer.name,
  });
  await change(deps, input, (b) => (b.calendarEventId === eventId || b.status !== 'confirmed' ? { done: undefined } : { next: { ...b, calendarEventId: eventId }, result: undefined }));
  return { provider: deps.calendar.provider, eventId };
}

/** After the calendar failed every retry: the booking stays confirmed; the staff are told (once) to add it by hand. */
export async function stepCalendarFailed(deps: BookingWorkflowDeps, input: BookingRef & { error?: string }): Promise<{ recorded: true }> {
  const booking = await bookingOf(deps, input);
  const d = await describe(deps, booking);
  await emailStaff(deps, booking, 'calendar-failed', d, {
    kind: 'booking.calendar_failed',
    ...(booking.conversationId ? { conversationId: booking.conversationId } : {}),
    subject: `Add a booking to the calendar by hand (${d.businessName})`,
    text: `This booking is confirmed, but the ${deps.calendar.provider} calendar could not be updated${input.error ? ` (${input.error})` : ''}. Please add it by hand.\n${staffSummary(booking, d)}`,
  });
  return { recorded: true };
}

/**
 * Notify: the confirmation to the customer (service, staff, local time, price, deposit, policy) — in the
 * conversation, or by e-mail, else SMS, when there is none — the staff notice, `booking.confirmed`; and when
 * the reminder is due (start − reminderHoursBefore). A retry does what the first attempt did not: the message
 * and text are stored once and delivered again, each e-mail sent once, the event published again (its
 * idempotency key makes it one occurrence).
 */
export async function stepNotify(deps: BookingWorkflowDeps, input: BookingRef): Promise<{ remind: boolean; remindAt: string; start: string }> {
  const settings = await bookingSettingsOf(deps, input.tenantId);
  const booking = await bookingOf(deps, input);
  if (booking.status !== 'confirmed') throw new BookingGone(`the booking is ${booking.status}`);
  const d = await describe(deps, booking);
  const text = bookingText.confirmed(d.facts, settings);
  let told: Told = 'conversation';
  if (booking.conversationId) await tellCustomer(deps, booking, 'confirmed', text);
  else {
    told = await tellElsewhere(deps, booking, 'confirmed', {
      email: { kind: 'booking.confirmed', subject: `${d.businessName}: ${d.facts.service}, ${d.facts.when}`, text },
      sms: bookingSms.confirmed(d.businessName, d.facts, settings),
    });
  }
  // Nobody else will tell a customer the confirmation could not reach: the staff notice says so.
  const untold = told === 'none' ? '\nThe customer has not been told: no e-mail address, and their phone cannot be texted (written without a country code and not a number of the business country, or it opted out of SMS). Please phone them.' : '';
  await emailStaff(deps, booking, 'confirmed', d, {
    kind: 'booking.confirmed',
    ...(booking.conversationId ? { conversationId: booking.conversationId } : {}),
    subject: `New booking: ${d.staffService}${booking.partySize !== undefined ? ` for ${booking.partySize}` : ''}, ${when('en', booking.start, d.timezone)} (${d.businessName})`,
    text: `${booking.rescheduledFrom ? `Moved from booking ${booking.rescheduledFrom}.\n` : ''}${staffSummary(booking, d)}\nDeposit: ${booking.payment.status === 'paid' ? `${booking.depositCents / 100} ${booking.currency} paid` : 'none'}${untold}`,
  });
  await deps.events.publish([
    {
      type: 'booking.confirmed',
      tenantId: booking.tenantId,
      detail: {
        ...occurrence('booking.confirmed', booking.bookingId),
        bookingId: booking.bookingId,
        serviceId: booking.serviceId,
        staffId: booking.staffId,
        start: booking.start,
        end: booking.end,
        channel: booking.channel,
        source: booking.source,
        priceCents: booking.priceCents,
        depositCents: booking.payment.status === 'paid' ? booking.depositCents : 0,
        currency: booking.currency,
        ...(booking.conversationId ? { conversationId: booking.conversationId } : {}),
        // A reschedule of a confirmed booking is not a new booking in the analytics; one of a mere hold is.
        ...(booking.rescheduledFrom ? { rescheduledFrom: booking.rescheduledFrom, replacedConfirmed: booking.rescheduledFromConfirmed ?? true } : {}),
      },
    },
  ]);
  const now = deps.clock.now().getTime();
  const remindAtMs = Date.parse(booking.start) - settings.reminderHoursBefore * 3_600_000;
  const remind = settings.reminderHoursBefore > 0 && remindAtMs - now >= REMINDER_MIN_LEAD_MS;
  return { remind, remindAt: waitTimestamp(remind ? remindAtMs : now), start: booking.start };
}

/**
 * Remind: only when the booking is still confirmed at the start the Wait was computed for. In the conversation
 * and by e-mail when the customer gave an address; without a conversation by e-mail, else SMS. A retry does
 * what the first attempt did not (as Notify's): message and text stored once, the e-mail sent once, the event
 * published again under its idempotency key.
 */
export async function stepRemind(deps: BookingWorkflowDeps, input: BookingRef & { start: string }): Promise<{ reminded: boolean }> {
  const booking = await deps.bookings.getBooking(input.tenantId, input.bookingId);
  if (!booking || booking.status !== 'confirmed' || booking.start !== input.start) return { reminded: false };
  const d = await describe(deps, booking);
  const text = bookingText.reminder(d.facts);
  const email = { kind: 'booking.reminder', subject: `${d.businessName}: ${d.facts.service}, ${d.facts.when}`, text } as const;
  if (booking.conversationId) {
    await tellCustomer(deps, booking, 'reminder', text);
    await emailCustomer(deps, booking, 'reminder', email);
  } else await tellElsewhere(deps, booking, 'reminder', { email, sms: bookingSms.reminder(d.businessName, d.facts) });
  await deps.events.publish([
    { type: 'booking.reminded', tenantId: booking.tenantId, detail: { ...occurrence('booking.reminded', booking.bookingId), bookingId: booking.bookingId, start: booking.start } },
  ]);
  return { reminded: true };
}

/**
 * After staff cancelled a booking (service.ts `cancelBooking`, actor `staff`): tells the customer, in their
 * language, that the business cancelled it and whether the deposit is refunded — in the booking's conversation
 * when it has one (once: the message's clientId), else by e-mail when they gave an address (once: its record),
 * else by SMS to their phone unless it opted out. `none`: there is no way to reach them here (staff phone them).
 */
export async function tellCancelledByStaff(deps: Pick<BookingWorkflowDeps, 'catalogue'> & ElsewhereDeps, booking: Booking, refunded: boolean): Promise<Told> {
  const d = await describe(deps, booking);
  const refundedCents = refunded ? booking.depositCents : 0;
  const text = bookingText.cancelledByBusiness(d.facts, refundedCents);
  if (booking.conversationId) {
    await tellCustomer(deps, booking, 'cancelled', text, bookingText.nextSteps(booking.lang));
    return 'conversation';
  }
  return tellElsewhere(deps, booking, 'cancelled', {
    email: { kind: 'booking.cancelled', subject: `${d.businessName}: ${d.facts.service}, ${d.facts.when}`, text },
    sms: bookingSms.cancelledByBusiness(d.businessName, d.facts, refundedCents),
  });
}

/** Why the workflow reached Compensate, from the caught error's name. */
export type FailureKind = 'timeout' | 'declined' | 'slot_lost' | 'gone' | 'error';

export function failureKindOf(errorName: string | undefined): FailureKind {
  switch (errorName) {
    case 'Booking.PaymentTimeout':
      return 'timeout';
    case 'Booking.PaymentDeclined':
      return 'declined';
    case 'SlotTaken':
      return 'slot_lost';
    case 'BookingGone':
      return 'gone';
    default:
      return 'error';
  }
}

const staffReason: Record<FailureKind, string> = {
  timeout: 'deposit not paid in time',
  declined: 'deposit payment declined',
  slot_lost: 'the held time was taken',
  gone: 'the booking changed while it was being processed',
  error: 'a booking step failed',
};

export type CompensateOutcome = 'expired' | 'failed' | 'kept' | 'ended';

/**
 * Compensate: releases the hold (expired after an unpaid timeout, failed otherwise), refunds a paid
 * deposit, tells the customer honestly in their language, publishes `booking.failed`, and — unless the
 * deposit was simply not paid in time — hands the conversation to a person (`handoff.requested`).
 * A confirmed booking is never undone here (a late step failed): the staff are told instead.
 * `paymentMinutes`: the payment wait the checkout announced (its expiry may differ from the setting).
 */
export async function stepCompensate(
  deps: BookingWorkflowDeps,
  input: BookingRef & { error?: string; cause?: string; paymentMinutes?: number },
): Promise<{ outcome: CompensateOutcome; refunded: boolean }> {
  const kind = failureKindOf(input.error);
  const settings = await bookingSettingsOf(deps, input.tenantId);
  const found = await deps.bookings.getBooking(input.tenantId, input.bookingId);
  if (!found) {
    await deps.events.publish([
      { type: 'booking.failed', tenantId: input.tenantId, detail: { ...occurrence('booking.failed', input.bookingId), bookingId: input.bookingId, status: 'failed', reason: 'the booking no longer exists' } },
    ]);
    return { outcome: 'failed', refunded: false };
  }
  if (found.status === 'cancelled') return { outcome: 'ended', refunded: false };
  if (found.status === 'confirmed') {
    const d = await describe(deps, found);
    await emailStaff(deps, found, 'kept', d, {
      kind: 'booking.failed',
      ...(found.conversationId ? { conversationId: found.conversationId } : {}),
      subject: `Check a confirmed booking (${d.businessName})`,
      text: `This booking is confirmed, but a later step failed (${input.error ?? 'unknown error'}): the customer may not have been told or reminded.\n${staffSummary(found, d)}`,
    });
    return { outcome: 'kept', refunded: false };
  }

  const status: BookingStatus = kind === 'timeout' ? 'expired' : 'failed';
  const minutes = input.paymentMinutes ?? settings.paymentTimeoutMinutes;
  const reason = kind === 'timeout' ? `deposit not paid within ${minutes} minute${minutes === 1 ? '' : 's'}` : staffReason[kind];
  let refundedCents = 0;
  const { changed } = await change(deps, input, async (b) => {
    if (!activeStatuses.includes(b.status) || b.status === 'confirmed') return { done: undefined };
    let payment = b.payment;
    if (payment.status === 'paid' && payment.paymentId) {
      // Idempotent per booking: a retry of this step refunds once.
      await deps.payments.refund({ tenantId: b.tenantId, bookingId: b.bookingId, paymentId: payment.paymentId, amountCents: b.depositCents });
      refundedCents = b.depositCents;
      payment = { ...payment, status: 'refunded', refundedAt: deps.clock.now().toISOString() };
    } else if (payment.status === 'pending') {
      payment = { ...payment, status: 'failed' };
    }
    return { next: { ...withoutHold(b), status, statusReason: reason, payment }, result: undefined };
  });
  const ended = changed?.next ?? (await bookingOf(deps, input));
  if (ended.status === 'confirmed') return { outcome: 'kept', refunded: false };
  const outcome: CompensateOutcome = ended.status === 'expired' ? 'expired' : 'failed';
  // Ended otherwise meanwhile (cancelled): nothing of this step's to tell.
  if (!changed && ended.status !== 'failed' && ended.status !== 'expired') return { outcome, refunded: false };
  // Unchanged but failed or expired: a retry after the first attempt ended it (its notices or its publish failed, its
  // function timed out, its answer was lost). What that attempt did not finish is done now, each once; the refund
  // and the reason are those it wrote on the booking.
  const refunded = changed ? refundedCents : ended.payment.status === 'refunded' ? ended.depositCents : 0;
  const endedReason = changed ? reason : (ended.statusReason ?? reason);

  const d = await describe(deps, ended);
  const why = kind === 'declined' ? 'declined' : kind === 'slot_lost' ? 'slot_lost' : 'error';
  const handoff = outcome === 'failed';
  const text = outcome === 'expired' ? bookingText.expired(d.facts, minutes) : bookingText.failed(d.facts, why, refunded);
  await tellCustomer(deps, ended, 'ended', text, outcome === 'expired' ? bookingText.nextSteps(ended.lang) : undefined);
  if (!ended.conversationId) {
    await tellElsewhere(deps, ended, 'ended', {
      email: { kind: 'booking.failed', subject: `${d.businessName}: ${d.facts.service}, ${d.facts.when}`, text },
      sms: outcome === 'expired' ? bookingSms.expired(d.businessName, d.facts, minutes) : bookingSms.failed(d.businessName, d.facts, why, refunded),
    });
  }
  if (handoff) {
    await emailStaff(deps, ended, 'ended', d, {
      kind: 'booking.failed',
      ...(ended.conversationId ? { conversationId: ended.conversationId } : {}),
      subject: `A booking failed: ${d.staffService}, ${when('en', ended.start, d.timezone)} (${d.businessName})`,
      text: `Reason: ${endedReason}${input.error ? ` (${input.error}${input.cause ? `: ${input.cause}` : ''})` : ''}.${refunded > 0 ? ` The deposit (${refunded / 100} ${ended.currency}) was refunded.` : ''}\n${staffSummary(ended, d)}`,
    });
  }
  // Published again by a retry (the first attempt's publish may have failed): the idempotency keys make each one occurrence.
  await deps.events.publish([
    { type: 'booking.failed', tenantId: ended.tenantId, detail: { ...occurrence('booking.failed', ended.bookingId), bookingId: ended.bookingId, status: ended.status, reason: endedReason, refunded: refunded > 0 } },
    ...(refunded > 0 ? [refundedEvent(ended, ended.payment.paymentId, refunded, 'failed')] : []),
    ...(handoff && ended.conversationId
      ? [
          {
            type: 'handoff.requested' as const,
            tenantId: ended.tenantId,
            detail: { ...occurrence('handoff.requested', ended.bookingId), conversationId: ended.conversationId, reason: 'booking failed' },
          },
        ]
      : []),
  ]);
  return { outcome, refunded: refunded > 0 };
}

// ---- payment outcomes (EventBridge `payment.succeeded` / `payment.failed`) --------------------------------

export type PaymentHandling = 'answered' | 'recorded' | 'refunded' | 'ignored';

/**
 * A verified payment outcome. Succeeded: the payment is recorded on the booking (durably, before the
 * workflow is told) and the workflow's payment token answered; a payment for a booking that already
 * ended is refunded and the customer told. A payment for a booking that was rescheduled (`rescheduledTo`) goes to
 * the booking that replaced it when that one still waits for the same deposit (`forwardPayment`); otherwise it is
 * refunded and the customer told why. Failed: the workflow is told (it compensates). A replay after the token was
 * answered changes nothing and sends nothing.
 */
export async function onPaymentOutcome(deps: BookingEventsDeps, outcome: PaymentOutcome): Promise<{ handled: PaymentHandling }> {
  const ref = { tenantId: outcome.tenantId, bookingId: outcome.bookingId };
  const existing = await deps.bookings.getBooking(ref.tenantId, ref.bookingId);
  if (!existing) return { handled: 'ignored' };

  if (outcome.status === 'failed') {
    if (existing.status !== 'awaiting_payment' || existing.payment.status === 'paid') return { handled: 'ignored' };
    return { handled: (await answerPayment(deps, ref, { paid: false, eventId: outcome.eventId })) ? 'answered' : 'ignored' };
  }

  const paymentId = outcome.paymentId ?? outcome.eventId;
  type Step = 'record' | 'answer' | 'forward' | 'refund' | 'tell' | 'ignore';
  const { result, changed } = await change<Step>(deps, ref, (b) => {
    if (b.payment.status === 'paid') return { done: 'answer' };
    // This payment, refunded by an earlier delivery whose notices then failed: this one tells (each notice is sent
    // once, so a plain replay says nothing more).
    // (A deposit paid in time has `paidAt`; refunded later, by a cancellation, it was no late payment.)
    if (b.payment.status === 'refunded') {
      return { done: deadStatuses.includes(b.status) && b.payment.paymentId === paymentId && b.payment.paidAt === undefined ? 'tell' : 'ignore' };
    }
    if (b.status === 'held' || b.status === 'awaiting_payment') {
      return { next: { ...b, payment: { ...b.payment, status: 'paid', paymentId, paidAt: deps.clock.now().toISOString() } }, result: 'record' };
    }
    // Moved to another booking while its link was still open (decision 98): the money follows the booking.
    if (b.status === 'cancelled' && b.rescheduledTo) return { done: 'forward' };
    if (deadStatuses.includes(b.status)) return { done: 'refund' };
    return { done: 'ignore' };
  });
  if (result === 'ignore') return { handled: 'ignored' };
  if (result === 'record' || result === 'answer') {
    const answered = await answerPayment(deps, ref, { paid: true, paymentId });
    return { handled: answered ? 'answered' : changed ? 'recorded' : 'ignored' };
  }

  const amountCents = outcome.amountCents ?? existing.depositCents;
  if (result === 'forward') {
    const forwarded = await forwardPayment(deps, existing, paymentId, amountCents);
    if (forwarded !== 'refund') return { handled: forwarded };
  }

  // The booking ended before the money arrived (or was moved to one that cannot take it): give it back, once.
  let ended: Booking | undefined;
  if (result === 'tell') ended = existing;
  else {
    await deps.payments.refund({ tenantId: ref.tenantId, bookingId: ref.bookingId, paymentId, amountCents });
    const { changed: refunded } = await change(deps, ref, (b) =>
      b.payment.status === 'refunded' ? { done: undefined } : { next: { ...b, payment: { ...b.payment, status: 'refunded', paymentId, refundedAt: deps.clock.now().toISOString() } }, result: undefined },
    );
    ended = refunded?.next;
  }
  if (!ended) return { handled: 'ignored' };
  await tellLatePaymentRefunded(deps, ended, paymentId, amountCents);
  // Published again by a delivery that tells what an earlier one refunded (one occurrence per booking).
  await deps.events.publish([refundedEvent(ended, paymentId, amountCents, 'late_payment')]);
  return { handled: 'refunded' };
}

/** Answers the workflow waiting for this booking's payment; false when none waits (or it was answered already). */
async function answerPayment(deps: BookingEventsDeps, ref: BookingRef, output: Record<string, unknown>): Promise<boolean> {
  const token = await deps.bookings.getPaymentToken(ref.tenantId, ref.bookingId);
  return token ? deps.callbacks.succeed(token, output) : false;
}

/** How many reschedules in a row a payment follows to the booking that holds the appointment now. */
const MAX_MOVES = 10;

/**
 * The booking that replaced `moved` (following reschedules of reschedules): the last of the chain, undefined when
 * one of them is gone or does not name its predecessor.
 */
async function successorOf(deps: Pick<BookingWorkflowDeps, 'bookings'>, moved: Booking): Promise<Booking | undefined> {
  let from = moved;
  for (let hop = 0; hop < MAX_MOVES && from.rescheduledTo; hop++) {
    const next = await deps.bookings.getBooking(from.tenantId, from.rescheduledTo.bookingId);
    if (!next || next.rescheduledFrom !== from.bookingId) return undefined;
    if (next.status !== 'cancelled' || !next.rescheduledTo) return next;
    from = next;
  }
  return undefined;
}

/**
 * A payment made on the checkout of a booking that was rescheduled (its link still open in the chat, or paid at the
 * moment it was moved): applied to the booking that replaced it when that one is still held or awaiting the same
 * deposit — recorded there in one conditional write, its own checkout expired (best effort) and its workflow's
 * payment token answered, so it confirms and tells the customer once, as if its own page had been paid. A delivery
 * again finds the payment on the successor and answers again (or, the successor since cancelled and refunded, does
 * nothing). `refund`: the successor is gone, ended or already paid (another payment), or waits for another amount.
 */
async function forwardPayment(deps: BookingEventsDeps, moved: Booking, paymentId: string, amountCents: number): Promise<PaymentHandling | 'refund'> {
  const successor = await successorOf(deps, moved);
  if (!successor) return 'refund';
  const to = { tenantId: successor.tenantId, bookingId: successor.bookingId };
  let ownCheckout: Booking | undefined;
  const { result, changed } = await change<'record' | 'answer' | 'ignore' | 'refund'>(deps, to, (s) => {
    if (s.payment.paymentId === paymentId) return { done: s.payment.status === 'paid' ? 'answer' : 'ignore' };
    const due = (s.status === 'held' || s.status === 'awaiting_payment') && s.payment.status === 'pending';
    if (!due || s.depositCents !== amountCents || s.currency !== moved.currency) return { done: 'refund' };
    ownCheckout = s;
    return { next: { ...s, payment: { ...s.payment, status: 'paid', paymentId, paidAt: deps.clock.now().toISOString() } }, result: 'record' };
  });
  if (result === 'refund') return 'refund';
  if (result === 'ignore') return 'ignored';
  // Its own page must not take the deposit a second time.
  if (changed && ownCheckout) await expireCheckout(deps, ownCheckout);
  const answered = await answerPayment(deps, to, { paid: true, paymentId });
  return answered ? 'answered' : changed ? 'recorded' : 'ignored';
}

/**
 * The customer and the staff told of a late deposit refunded. Each notice is sent once (a message by its clientId, an
 * e-mail by its marker, decision 89): a delivery of the payment event retried after one of them failed sends the rest.
 */
async function tellLatePaymentRefunded(deps: BookingEventsDeps, ended: Booking, paymentId: string, amountCents: number): Promise<void> {
  const d = await describe(deps, ended);
  // A booking that was moved: the customer is told where it went and why the new one did not take the money.
  const moved = ended.rescheduledTo ? await movedTo(deps, ended) : undefined;
  const text = moved ? bookingText.movedPaymentRefunded(d.facts, moved.when, moved.why, amountCents) : bookingText.latePaymentRefunded(d.facts, amountCents);
  await tellCustomer(deps, ended, 'late-payment', text);
  if (!ended.conversationId) {
    await tellElsewhere(deps, ended, 'late-payment', {
      email: { kind: 'booking.late_payment', subject: `${d.businessName}: refund`, text },
      sms: moved ? bookingSms.movedPaymentRefunded(d.businessName, d.facts, moved.when, moved.why, amountCents) : bookingSms.latePaymentRefunded(d.businessName, d.facts, amountCents),
    });
  }
  const arrived = moved
    ? `arrived for a booking that had been moved to booking ${moved.bookingId ?? '(gone)'}, ${moved.why === 'paid' ? 'whose deposit was already paid' : 'which is no longer active'}`
    : `arrived after the booking had ${ended.status === 'expired' ? 'expired' : 'ended'}`;
  await emailStaff(deps, ended, 'late-payment', d, {
    kind: 'booking.late_payment',
    ...(ended.conversationId ? { conversationId: ended.conversationId } : {}),
    subject: moved ? `A deposit for a moved booking was refunded (${d.businessName})` : `A late deposit was refunded (${d.businessName})`,
    text: `A deposit of ${amountCents / 100} ${ended.currency} ${arrived}; it was refunded in full (payment ${paymentId}).\n${staffSummary(ended, d)}`,
  });
}

/** Where a moved booking went, in the customer's words, and why it did not take a payment (active: paid already). */
async function movedTo(deps: BookingEventsDeps, moved: Booking): Promise<{ bookingId?: string; when?: string; why: 'paid' | 'ended' }> {
  const successor = await successorOf(deps, moved);
  if (!successor) return { why: 'ended' };
  const d = await describe(deps, { ...successor, lang: moved.lang });
  return { bookingId: successor.bookingId, when: d.facts.when, why: activeStatuses.includes(successor.status) ? 'paid' : 'ended' };
}
