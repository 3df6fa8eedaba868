/**
 * Stripe events as Stripe sends them to a webhook (pretty-printed: the signature covers these exact bytes), for
 * tests that sign them with the stripe SDK's own `webhooks.generateTestHeaderString`.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A `checkout.session.completed` event for a booking's deposit (ids random unless given). */
export function checkoutCompletedEvent(options: {
  readonly tenantId: string;
  readonly bookingId?: string;
  readonly id?: string;
  readonly sessionId?: string;
  readonly paymentIntent?: string;
  readonly amountCents?: number;
}): string {
  return JSON.stringify(
    {
      id: options.id ?? `evt_${hex(12)}`,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type: 'checkout.session.completed',
      data: {
        object: {
          id: options.sessionId ?? `cs_test_${hex(6)}`,
          object: 'checkout.session',
          amount_total: options.amountCents ?? 2500,
          currency: 'eur',
          payment_intent: options.paymentIntent ?? `pi_${hex(8)}`,
          payment_status: 'paid',
          status: 'complete',
          metadata: { tenantId: options.tenantId, bookingId: options.bookingId ?? `bk_${hex(6)}` },
        },
      },
    },
    null,
    2,
  );
}
