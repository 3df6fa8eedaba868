/**
 * What the booking view tells staff about reaching the customer: who is told of a cancellation and how, what
 * happens to a paid deposit, and where the deposit's payment link went. Pure, so the wording is tested.
 */
import type { Booking } from '../../api/bookings';
import { formatPrice } from '../../lib/format';

type Reachable = Pick<Booking, 'conversationId' | 'customer'>;

/** How the server tells the customer (core/booking/workflow.ts): their conversation, else their e-mail, else nobody. */
function channelOf(booking: Reachable): 'conversation' | 'email' | 'none' {
  if (booking.conversationId !== undefined) return 'conversation';
  return booking.customer.email !== undefined ? 'email' : 'none';
}

/**
 * The cancel step's notice. A cancellation by the business always refunds a paid deposit (the customer did
 * nothing wrong); the tenant's refund policy applies only when the customer cancels.
 */
export function cancelNotice(booking: Reachable & Pick<Booking, 'payment' | 'depositCents' | 'currency'>): string {
  const told = {
    conversation: 'The customer is told in their conversation',
    email: `The customer is told by e-mail (${booking.customer.email ?? ''})`,
    none: 'The customer has no conversation or e-mail address here, so phone them to say so',
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
    none: 'The customer has no e-mail address here: read it out or text it to them.',
  }[channelOf(booking)];
}
