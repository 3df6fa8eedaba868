/**
 * Picks the Payments adapter from configuration: Stripe Checkout when `STRIPE_SECRET_KEY` is set, the local
 * cloud's checkout page otherwise. Configuration problems fail here, at start-up.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Payments } from '../../core/booking/ports';
import type { Clock } from '../../core/ports';
import { documentClient } from '../aws/clients';
import type { Config } from '../config';
import { LocalCheckoutStore, LocalPayments } from './local';
import { StripePayments } from './stripe';

export type PaymentsConfig = Partial<Pick<Config, 'STRIPE_SECRET_KEY' | 'STRIPE_API_BASE' | 'CHECKOUT_RETURN_URL' | 'LOCAL_CHECKOUT_URL' | 'TABLE_NAME' | 'AWS_ENDPOINT_URL_DYNAMODB'>>;

const wallClock: Clock = { now: () => new Date() };

const NOT_CONFIGURED = 'deposits are not configured: set STRIPE_SECRET_KEY (or LOCAL_CHECKOUT_URL in the local cloud)';

/**
 * Payments in an environment without a payment provider: everything but deposits works; a deposit fails its
 * workflow step (which releases the hold) with the reason.
 */
function unconfiguredPayments(): Payments {
  return {
    provider: 'stripe',
    createCheckout: () => Promise.reject(new Error(NOT_CONFIGURED)),
    refund: () => Promise.reject(new Error(NOT_CONFIGURED)),
  };
}

/**
 * The Payments port for this configuration. The local page keeps its checkouts in the table (`TABLE_NAME`,
 * through `deps.doc` or the shared document client), where the page — another process in the local cloud —
 * reads them.
 *
 * @throws Error when STRIPE_SECRET_KEY is set without CHECKOUT_RETURN_URL.
 */
export function paymentsFromConfig(config: PaymentsConfig, deps: { readonly doc?: DynamoDBDocumentClient; readonly clock?: Clock } = {}): Payments {
  const clock = deps.clock ?? wallClock;
  if (config.STRIPE_SECRET_KEY) {
    if (!config.CHECKOUT_RETURN_URL) throw new Error('configuration error: CHECKOUT_RETURN_URL is not set (STRIPE_SECRET_KEY is)');
    return new StripePayments({
      secretKey: config.STRIPE_SECRET_KEY,
      returnUrl: config.CHECKOUT_RETURN_URL,
      clock,
      ...(config.STRIPE_API_BASE ? { apiBase: config.STRIPE_API_BASE } : {}),
    });
  }
  if (!config.LOCAL_CHECKOUT_URL || !config.TABLE_NAME) return unconfiguredPayments();
  const doc = deps.doc ?? documentClient(config.AWS_ENDPOINT_URL_DYNAMODB);
  return new LocalPayments(new LocalCheckoutStore(doc, config.TABLE_NAME, clock), config.LOCAL_CHECKOUT_URL, clock);
}

export { LocalCheckoutStore, LocalPayments } from './local';
export { StripePayments, constructStripeEvent, paymentOutcomeOf } from './stripe';
