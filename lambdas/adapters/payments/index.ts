/**
 * Picks the Payments adapter from configuration: Stripe Checkout when `STRIPE_SECRET_KEY` is set, the local
 * cloud's checkout page otherwise. Configuration problems fail here, at start-up. Given the tenants'
 * integration credentials, a tenant with its own Stripe key is served by Stripe Checkout under that key
 * (TenantPayments); every other tenant by the environment's adapter.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CheckoutRequest, Payments } from '../../core/booking/ports';
import type { IntegrationSecrets } from '../../core/integrations';
import type { Clock } from '../../core/ports';
import { documentClient } from '../aws/clients';
import type { Config } from '../config';
import { LocalCheckoutStore, LocalPayments, tenantOfCheckoutId } from './local';
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

/** At most this many tenants' Stripe clients are kept per container; the least recently used goes first. */
const MAX_TENANT_CLIENTS = 200;

/**
 * Payments per `tenantId`: the tenant's own Stripe key (from IntegrationSecrets, cached there for 60 s) through
 * a StripePayments kept per tenant and key, else the environment's adapter. `provider` names the adapter that
 * served the latest checkout — Lambda runs one request per container at a time, so that is this request's.
 */
export class TenantPayments implements Payments {
  private readonly clients = new Map<string, { readonly secretKey: string; readonly payments: StripePayments }>();
  private lastProvider: Payments['provider'];

  constructor(
    private readonly secrets: Pick<IntegrationSecrets, 'get'>,
    private readonly fallback: Payments,
    private readonly options: { readonly returnUrl: string | undefined; readonly apiBase?: string; readonly clock: Clock },
  ) {
    this.lastProvider = fallback.provider;
  }

  get provider(): Payments['provider'] {
    return this.lastProvider;
  }

  /** The adapter serving this tenant now. */
  async forTenant(tenantId: string): Promise<Payments> {
    const stripe = await this.secrets.get(tenantId, 'stripe');
    if (!stripe) {
      this.clients.delete(tenantId);
      return this.fallback;
    }
    const known = this.clients.get(tenantId);
    if (known && known.secretKey === stripe.secretKey) {
      this.clients.delete(tenantId);
      this.clients.set(tenantId, known);
      return known.payments;
    }
    if (!this.options.returnUrl) throw new Error('configuration error: CHECKOUT_RETURN_URL is not set (the tenant has its own Stripe key)');
    const payments = new StripePayments({
      secretKey: stripe.secretKey,
      returnUrl: this.options.returnUrl,
      clock: this.options.clock,
      ...(this.options.apiBase ? { apiBase: this.options.apiBase } : {}),
    });
    this.clients.delete(tenantId);
    while (this.clients.size >= MAX_TENANT_CLIENTS) {
      const oldest = this.clients.keys().next();
      if (oldest.done) break;
      this.clients.delete(oldest.value);
    }
    this.clients.set(tenantId, { secretKey: stripe.secretKey, payments });
    return payments;
  }

  async createCheckout(request: CheckoutRequest): Promise<{ checkoutId: string; url: string; expiresAt?: string }> {
    const payments = await this.forTenant(request.tenantId);
    const checkout = await payments.createCheckout(request);
    this.lastProvider = payments.provider;
    return checkout;
  }

  async refund(input: { tenantId: string; bookingId: string; paymentId: string; amountCents: number }): Promise<{ refundId: string }> {
    // A deposit taken on the local checkout page (before the tenant set its own key) is refunded there.
    if (input.paymentId.startsWith('pi_local_')) return this.fallback.refund(input);
    return (await this.forTenant(input.tenantId)).refund(input);
  }

  async expireCheckout(input: { tenantId: string; bookingId: string; checkoutId: string }): Promise<void> {
    // A checkout of the local page (its id names the tenant) is expired there, a Stripe one under the tenant's key.
    const payments = tenantOfCheckoutId(input.checkoutId) !== undefined ? this.fallback : await this.forTenant(input.tenantId);
    if (!payments.expireCheckout) throw new Error(`the ${payments.provider} payments cannot expire a checkout`);
    await payments.expireCheckout(input);
  }
}

/**
 * The Payments port for this configuration. The local page keeps its checkouts in the table (`TABLE_NAME`,
 * through `deps.doc` or the shared document client), where the page — another process in the local cloud —
 * reads them.
 *
 * @throws Error when STRIPE_SECRET_KEY is set without CHECKOUT_RETURN_URL.
 */
export function paymentsFromConfig(
  config: PaymentsConfig,
  deps: { readonly doc?: DynamoDBDocumentClient; readonly clock?: Clock; readonly secrets?: Pick<IntegrationSecrets, 'get'> } = {},
): Payments {
  const fallback = environmentPayments(config, deps);
  if (!deps.secrets) return fallback;
  return new TenantPayments(deps.secrets, fallback, {
    returnUrl: config.CHECKOUT_RETURN_URL,
    clock: deps.clock ?? wallClock,
    ...(config.STRIPE_API_BASE ? { apiBase: config.STRIPE_API_BASE } : {}),
  });
}

/** The environment's adapter: Stripe under STRIPE_SECRET_KEY, the local checkout page, or none. */
function environmentPayments(config: PaymentsConfig, deps: { readonly doc?: DynamoDBDocumentClient; readonly clock?: Clock }): Payments {
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
