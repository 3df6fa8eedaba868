/**
 * Payments without Stripe: the local cloud's checkout page (local-cloud/checkout.ts) plays Stripe Checkout.
 *
 * A checkout is a record in the table (`keys.localCheckout`), because the handlers that create checkouts and
 * the page that shows them share nothing else. Its id carries the tenant (`<tenantId>.<random>`), so the page
 * finds the record from the URL alone. Paying on the page sends a Stripe-shaped, Stripe-signed webhook to the
 * real webhook route: the same verification and the same events as with Stripe.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { CheckoutRequest, Payments } from '../../core/booking/ports';
import { isTenantId, randomId } from '../../core/ids';
import type { Clock } from '../../core/ports';
import { keys } from '../dynamo/keys';
import { isConditionFailure } from '../dynamo/query';

/** Checkout records stay a week after the page stops taking payment, then TTL removes them. */
const CHECKOUT_TTL_SECONDS = 7 * 24 * 60 * 60;
const REFUND_TTL_SECONDS = 400 * 24 * 60 * 60;

export const localCheckoutSchema = z.object({
  tenantId: z.string().refine(isTenantId),
  checkoutId: z.string().min(1),
  bookingId: z.string().min(1),
  amountCents: z.number().int().positive(),
  currency: z.string().regex(/^[a-z]{3}$/),
  description: z.string(),
  lang: z.string(),
  customerEmail: z.string().optional(),
  /** When the page stops accepting payment (UTC ISO). */
  payBy: z.string(),
  /** `expired`: cancelled on the page, or past `payBy`. */
  status: z.enum(['open', 'paid', 'expired']),
  /** The fake PaymentIntent id the webhook reports (`pi_local_…`). */
  paymentId: z.string(),
  createdAt: z.string(),
  closedAt: z.string().optional(),
});
/** A checkout of the local checkout page. */
export type LocalCheckout = z.infer<typeof localCheckoutSchema>;

/** A new checkout id for a tenant: `<tenantId>.<20 base64url characters>`. */
export function newCheckoutId(tenantId: string, random: () => string = randomId): string {
  if (!isTenantId(tenantId)) throw new Error(`invalid tenant id: ${tenantId}`);
  return `${tenantId}.${random()}`;
}

/** The tenant a local checkout id belongs to; undefined for anything that is not such an id. */
export function tenantOfCheckoutId(checkoutId: string): string | undefined {
  const match = /^([a-z0-9][a-z0-9-]{1,39})\.([A-Za-z0-9_-]{16,64})$/.exec(checkoutId);
  return match?.[1] && isTenantId(match[1]) ? match[1] : undefined;
}

/** The local checkouts and refunds in the table. */
export class LocalCheckoutStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async put(checkout: LocalCheckout): Promise<void> {
    const ttl = Math.floor(Date.parse(checkout.payBy) / 1000) + CHECKOUT_TTL_SECONDS;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.localCheckout(checkout.tenantId, checkout.checkoutId), ...localCheckoutSchema.parse(checkout), expiresAt: ttl },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** The checkout with this id (whose tenant the id names); undefined when unknown or unreadable. */
  async get(checkoutId: string): Promise<LocalCheckout | undefined> {
    const tenantId = tenantOfCheckoutId(checkoutId);
    if (!tenantId) return undefined;
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.localCheckout(tenantId, checkoutId), ConsistentRead: true }));
    const parsed = localCheckoutSchema.safeParse(out.Item);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * Closes an open checkout as paid (only before `payBy`) or expired; the checkout after the change, or
   * undefined when it was not open (paid, expired, or paid too late) — nothing changed then.
   */
  async close(checkout: LocalCheckout, status: 'paid' | 'expired'): Promise<LocalCheckout | undefined> {
    const now = this.clock.now().toISOString();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.localCheckout(checkout.tenantId, checkout.checkoutId),
          UpdateExpression: 'SET #status = :status, closedAt = :now',
          ConditionExpression: status === 'paid' ? '#status = :open AND payBy > :now' : '#status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':open': 'open', ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return localCheckoutSchema.parse(out.Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Opens a checkout again after its webhook could not be delivered, so the customer can retry. */
  async reopen(checkout: LocalCheckout, from: 'paid' | 'expired'): Promise<void> {
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.localCheckout(checkout.tenantId, checkout.checkoutId),
          UpdateExpression: 'SET #status = :open REMOVE closedAt',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':open': 'open', ':from': from },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /** Records the booking's refund once; a second call returns the first refund's id. */
  async refundOnce(input: { tenantId: string; bookingId: string; paymentId: string; amountCents: number; refundId: string }): Promise<string> {
    const key = keys.localRefund(input.tenantId, input.bookingId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...input, refundedAt: this.clock.now().toISOString(), expiresAt: Math.floor(this.clock.now().getTime() / 1000) + REFUND_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return input.refundId;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      return z.object({ refundId: z.string() }).parse(out.Item).refundId;
    }
  }
}

/** Payments through the local checkout page: `createCheckout` stores the checkout and returns the page's URL. */
export class LocalPayments implements Payments {
  readonly provider = 'local' as const;

  constructor(
    private readonly checkouts: LocalCheckoutStore,
    /** The page's base URL; a checkout is at `<checkoutUrl>/<checkoutId>`. */
    private readonly checkoutUrl: string,
    private readonly clock: Clock,
    private readonly newId: () => string = randomId,
  ) {}

  async createCheckout(request: CheckoutRequest): Promise<{ checkoutId: string; url: string }> {
    const checkoutId = newCheckoutId(request.tenantId, this.newId);
    await this.checkouts.put({
      tenantId: request.tenantId,
      checkoutId,
      bookingId: request.bookingId,
      amountCents: request.amountCents,
      currency: request.currency.toLowerCase(),
      description: request.description,
      lang: request.lang,
      ...(request.customerEmail ? { customerEmail: request.customerEmail } : {}),
      payBy: new Date(Date.parse(request.expiresAt)).toISOString(),
      status: 'open',
      paymentId: `pi_local_${this.newId().replace(/-/g, '_')}`,
      createdAt: this.clock.now().toISOString(),
    });
    return { checkoutId, url: `${this.checkoutUrl.replace(/\/+$/, '')}/${encodeURIComponent(checkoutId)}` };
  }

  async refund(input: { tenantId: string; bookingId: string; paymentId: string; amountCents: number }): Promise<{ refundId: string }> {
    const refundId = await this.checkouts.refundOnce({ ...input, refundId: `re_local_${this.newId().replace(/-/g, '_')}` });
    return { refundId };
  }

  /**
   * Closes an open checkout as expired: its page says the link has expired and takes no payment. As Stripe, it
   * throws when the checkout is not open (paid or expired already). No webhook is sent (Stripe's
   * `checkout.session.expired` for a booking that was moved is ignored anyway).
   */
  async expireCheckout(input: { tenantId: string; bookingId: string; checkoutId: string }): Promise<void> {
    const checkout = await this.checkouts.get(input.checkoutId);
    if (!checkout || checkout.tenantId !== input.tenantId) throw new Error(`no local checkout ${input.checkoutId}`);
    if (!(await this.checkouts.close(checkout, 'expired'))) throw new Error(`local checkout ${input.checkoutId} is ${checkout.status}, not open`);
  }
}
