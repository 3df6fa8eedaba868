/**
 * Stripe: deposits through Stripe Checkout (a hosted page: card data never touches our system), refunds,
 * and the webhook's side — verifying a delivery's signature and reading the payment outcome out of a
 * verified event. Uses the official `stripe` SDK.
 */
import Stripe from 'stripe';
import { z } from 'zod';
import type { CheckoutRequest, Payments, PaymentOutcome } from '../../core/booking/ports';
import { badRequest } from '../../core/errors';
import type { Clock } from '../../core/ports';

/** Stripe refuses a Checkout Session that expires sooner than 30 minutes or later than 24 hours after creation. */
const MIN_EXPIRY_SECONDS = 30 * 60 + 60;
const MAX_EXPIRY_SECONDS = 24 * 60 * 60 - 60;
/** The webhook refuses deliveries signed longer ago than this (Stripe's own default). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Checkout's page languages that our languages map to directly. */
const CHECKOUT_LOCALES: readonly Stripe.Checkout.SessionCreateParams.Locale[] = ['en', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'pl', 'sv', 'da', 'fi', 'nb', 'ja', 'zh'];

export interface StripePaymentsOptions {
  readonly secretKey: string;
  /** Where Checkout sends the customer back; `checkout=paid|cancelled` is added to its query. */
  readonly returnUrl: string;
  /** Another API base than https://api.stripe.com (tests: a fake Stripe on 127.0.0.1). */
  readonly apiBase?: string;
  readonly clock: Clock;
  /** @default 2 */
  readonly maxNetworkRetries?: number;
}

function withQuery(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** The SDK's host/port/protocol for an API base URL. */
function connection(apiBase: string | undefined): { host?: string; port?: number; protocol?: 'http' | 'https' } {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

/** Deposits through Stripe Checkout. */
export class StripePayments implements Payments {
  readonly provider = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly options: StripePaymentsOptions) {
    this.stripe = new Stripe(options.secretKey, { maxNetworkRetries: options.maxNetworkRetries ?? 2, timeout: 10_000, ...connection(options.apiBase) });
  }

  /** The session's `expires_at` is kept inside Stripe's limits; a moved expiry is returned as `expiresAt`. */
  async createCheckout(request: CheckoutRequest): Promise<{ checkoutId: string; url: string; expiresAt?: string }> {
    const nowSeconds = Math.floor(this.options.clock.now().getTime() / 1000);
    const wanted = Math.floor(Date.parse(request.expiresAt) / 1000);
    const expiresAt = Math.min(Math.max(Number.isNaN(wanted) ? 0 : wanted, nowSeconds + MIN_EXPIRY_SECONDS), nowSeconds + MAX_EXPIRY_SECONDS);
    const metadata = { tenantId: request.tenantId, bookingId: request.bookingId };
    const locale = CHECKOUT_LOCALES.find((l) => l === request.lang.toLowerCase().slice(0, 2));
    const session = await this.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: request.currency.toLowerCase(), unit_amount: request.amountCents, product_data: { name: request.description } } }],
      metadata,
      payment_intent_data: { metadata },
      expires_at: expiresAt,
      success_url: withQuery(this.options.returnUrl, 'checkout', 'paid'),
      cancel_url: withQuery(this.options.returnUrl, 'checkout', 'cancelled'),
      ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
      ...(locale ? { locale } : {}),
    });
    if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
    return { checkoutId: session.id, url: session.url, ...(expiresAt !== wanted ? { expiresAt: new Date(expiresAt * 1000).toISOString() } : {}) };
  }

  async refund(input: { tenantId: string; bookingId: string; paymentId: string; amountCents: number }): Promise<{ refundId: string }> {
    const refund = await this.stripe.refunds.create(
      { payment_intent: input.paymentId, metadata: { tenantId: input.tenantId, bookingId: input.bookingId } },
      { idempotencyKey: `refund-${input.bookingId}` },
    );
    return { refundId: refund.id };
  }

  /** Expires an open Checkout Session (its page stops taking payment; Stripe sends `checkout.session.expired`). */
  async expireCheckout(input: { tenantId: string; bookingId: string; checkoutId: string }): Promise<void> {
    await this.stripe.checkout.sessions.expire(input.checkoutId);
  }
}

// ---- the webhook ------------------------------------------------------------------------------

const MALFORMED_SIGNATURE = 'Stripe-Signature: the header is malformed (expected t=<unix seconds>,v1=<signature>)';

/**
 * Whether the library can use a `Stripe-Signature` header, read the way `stripe.webhooks` reads it (items split on
 * `,`, each on `=`; the last `t`, every `v1`): a `t` of digits and at least one `v1`, none of them empty. The library
 * itself throws a plain Error ("secureCompare must receive two arguments") on an empty `v1=`, which cannot be told
 * apart by type from what it throws for the body.
 */
function usableSignatureHeader(header: string): boolean {
  let timestamp: string | undefined;
  const signatures: (string | undefined)[] = [];
  for (const item of header.split(',')) {
    const [key, value] = item.split('=');
    if (key === 't') timestamp = value;
    if (key === 'v1') signatures.push(value);
  }
  return timestamp !== undefined && /^\d{1,12}$/.test(timestamp) && signatures.length > 0 && signatures.every((s) => !!s);
}

/**
 * Checks a delivery's `Stripe-Signature` over the raw body with `stripe.webhooks.constructEvent` (HMAC first,
 * then JSON), and the event's shape. Throws a bad_request DomainError: naming the header when it is missing,
 * malformed, forged, signed with another secret or older than the tolerance; saying so when a signed body is
 * empty or not JSON.
 */
export function constructStripeEvent(rawBody: string | Buffer, signature: string | undefined, secret: string): StripeEvent {
  if (!signature) throw badRequest('Stripe-Signature: the header is missing', 'Stripe-Signature');
  if (!usableSignatureHeader(signature)) throw badRequest(MALFORMED_SIGNATURE, 'Stripe-Signature');
  if (rawBody.length === 0) throw badRequest('the request body is empty: expected a JSON Stripe event');
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signature, secret, SIGNATURE_TOLERANCE_SECONDS);
  } catch (error) {
    // The library's verification failures are StripeSignatureVerificationError; with a usable header, anything
    // else comes after the signature matched: the body (a SyntaxError from JSON.parse, or a thin v2 event).
    if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) throw badRequest('the body is not a JSON Stripe event');
    if (/unable to extract|no signatures found with expected scheme/i.test(error.message)) throw badRequest(MALFORMED_SIGNATURE, 'Stripe-Signature');
    const reason = /tolerance/i.test(error.message) ? 'the signature is too old (a delayed or replayed delivery)' : 'the signature does not match the body';
    throw badRequest(`Stripe-Signature: ${reason}`, 'Stripe-Signature');
  }
  return stripeEventSchema.parse(event);
}

const stripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}[A-Za-z0-9_]{1,255}$`), `must be a Stripe id (${prefix}…)`);
const idOrObject = z.union([z.string(), z.object({ id: z.string() })]).transform((v) => (typeof v === 'string' ? v : v.id));
const bookingMetadata = z.object({ tenantId: z.string().min(1).max(64), bookingId: z.string().min(1).max(128) });

/** The parts of a Stripe event we read; everything else is allowed and ignored. */
export const stripeEventSchema = z.object({
  id: stripeId('evt_'),
  object: z.literal('event'),
  type: z.string().min(1).max(100),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEvent = z.infer<typeof stripeEventSchema>;

const checkoutSessionSchema = z.object({
  id: z.string().min(1),
  object: z.literal('checkout.session'),
  amount_total: z.number().int().nullable().optional(),
  payment_intent: idOrObject.nullable().optional(),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  /** Ours carry the booking ({@link bookingMetadata}); the tenant's other sessions (Payment Links…) do not. */
  metadata: z.unknown(),
});


/** What a verified Stripe event means for a booking's deposit: an outcome, or the reason it means nothing. */
export type StripeEventMeaning = { readonly outcome: PaymentOutcome } | { readonly ignored: string };

/**
 * Reads the payment outcome out of a verified event:
 * `checkout.session.completed` (paid) and `checkout.session.async_payment_succeeded` → succeeded;
 * `checkout.session.expired` and `checkout.session.async_payment_failed` → failed. `payment_intent.payment_failed` is
 * ignored: on a Checkout page a declined card can be retried with another one, so only the session's expiry ends it.
 * Other events are ignored. The booking travels in the metadata; a session without it (the tenant's other checkouts,
 * Payment Links) or of another tenant than `tenantId` (the webhook URL's) is not ours: ignored, so Stripe gets its
 * 2xx and does not retry it for days.
 */
export function paymentOutcomeOf(event: StripeEvent, tenantId: string): StripeEventMeaning {
  const session = (): z.infer<typeof checkoutSessionSchema> => {
    const parsed = checkoutSessionSchema.safeParse(event.data.object);
    if (!parsed.success) throw badRequest(`data.object is not a checkout session: ${parsed.error.issues[0]?.path.join('.') ?? ''}`, 'data.object');
    return parsed.data;
  };
  const outcome = (status: PaymentOutcome['status'], raw: unknown, paymentId: string | null | undefined, amountCents: number | null | undefined): StripeEventMeaning => {
    const ours = bookingMetadata.safeParse(raw);
    if (!ours.success) return { ignored: 'a checkout session without a booking in its metadata' };
    if (ours.data.tenantId !== tenantId) return { ignored: 'a checkout session of another tenant than the webhook URL names' };
    return {
      outcome: {
        tenantId,
        bookingId: ours.data.bookingId,
        status,
        eventId: event.id,
        ...(paymentId ? { paymentId } : {}),
        ...(typeof amountCents === 'number' ? { amountCents } : {}),
      },
    };
  };
  switch (event.type) {
    case 'checkout.session.completed': {
      const s = session();
      // Delayed methods (bank debits) complete unpaid and report later through async_payment_*.
      if (s.payment_status !== 'paid') return { ignored: `checkout session completed ${s.payment_status}` };
      return outcome('succeeded', s.metadata, s.payment_intent, s.amount_total);
    }
    case 'checkout.session.async_payment_succeeded': {
      const s = session();
      return outcome('succeeded', s.metadata, s.payment_intent, s.amount_total);
    }
    case 'checkout.session.expired':
    case 'checkout.session.async_payment_failed': {
      const s = session();
      return outcome('failed', s.metadata, s.payment_intent, s.amount_total);
    }
    case 'payment_intent.payment_failed':
      return { ignored: 'a declined card can be retried on the checkout page; its expiry ends the payment' };
    default:
      return { ignored: event.type };
  }
}
