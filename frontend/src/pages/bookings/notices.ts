/**
 * What the booking view tells staff about reaching the customer: who is told of a cancellation and how, what
 * happens to a paid deposit, and where the deposit's payment link went. Pure, so the wording is tested.
 */
import type { Booking } from '../../api/bookings';
import { formatPrice } from '../../lib/format';

type Reachable = Pick<Booking, 'conversationId' | 'customer'>;

/**
 * The number a text goes to, normalised as the server does (core/channels/notices.ts `smsNumberOf`): spaces, dots,
 * dashes and brackets dropped, a leading 00 read as +; only a number typed as international (+ or 00) qualifies. The
 * server has already read a local number it could place in the business's country as international (core/phone.ts).
 */
export function textableNumber(phone: string | undefined): string | undefined {
  const compact = phone?.trim().replace(/[\s().-]/g, '').replace(/^00/, '+');
  if (!compact || !/^\+\d{6,20}$/.test(compact)) return undefined;
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : undefined;
}

/**
 * How the server tells the customer (core/booking/workflow.ts): their conversation, else their e-mail, else an SMS
 * to their phone (unless the number opted out, which only the server knows), else nobody.
 */
function channelOf(booking: Reachable): 'conversation' | 'email' | 'sms' | 'none' {
  if (booking.conversationId !== undefined) return 'conversation';
  if (booking.customer.email !== undefined) return 'email';
  return textableNumber(booking.customer.phone) !== undefined ? 'sms' : 'none';
}

/**
 * The cancel step's notice. A cancellation by the business always refunds a paid deposit (the customer did
 * nothing wrong); the tenant's refund policy applies only when the customer cancels.
 */
export function cancelNotice(booking: Reachable & Pick<Booking, 'payment' | 'depositCents' | 'currency'>): string {
  const told = {
    conversation: 'The customer is told in their conversation',
    email: `The customer is told by e-mail (${booking.customer.email ?? ''})`,
    sms: `The customer is told by SMS (${booking.customer.phone ?? ''}) unless their number opted out of texts`,
    none: 'The customer has no conversation, e-mail address or phone number with a country code here, so phone them to say so',
  }[channelOf(booking)];
  const refund =
    booking.payment.status === 'paid'
      ? `The paid deposit of ${formatPrice(booking.depositCents, booking.currency)} will be refunded to the customer: a cancellation by the business always refunds it.`
      : 'No deposit has been paid, so nothing is refunded.';
  return `${told}, and the time becomes free again. ${refund}`;
}

/** Beside the payment link of a deposit still due: where it was sent, or that staff should pass it on. */
export function checkoutLinkNote(booking: Reachable): string {
  return {
    conversation: 'Sent to the customer in their conversation.',
    email: 'E-mailed to the customer.',
    sms: 'Texted to the customer (unless their number opted out of texts: then read it out to them).',
    none: 'The customer has no e-mail address or phone number with a country code here: read it out or text it to them.',
  }[channelOf(booking)];
}
