/**
 * The outbound webhooks part of the admin API: subscriptions (the signing secret only in the answer that creates
 * one), test pings, the dead-letter view and redelivery. Decoders are the types; the event list is checked at
 * compile time against the server's (lambdas/core/webhooks/event-types.ts, type-only import).
 */
import type { WebhookEventType as ServerEventType } from '../../../../lambdas/core/webhooks/event-types';
import type { ApiClient, RequestOptions } from '../../api/client';
import { array, number, object, oneOf, optional, string, type Infer } from '../../lib/decode';

export const webhookEvents = ['customer.created', 'conversation.closed', 'handoff.requested', 'booking.created', 'booking.changed', 'booking.cancelled', 'payment.succeeded'] as const;
export type WebhookEventType = (typeof webhookEvents)[number];
/** Compile-time checks: the UI offers exactly the server's events. */
const sameEvents: readonly ServerEventType[] = webhookEvents;
const noneMissing: [Exclude<ServerEventType, WebhookEventType>] extends [never] ? true : false = true;
void sameEvents;
void noneMissing;

/** What each event means, for the checkboxes. */
export const eventLabels: Readonly<Record<WebhookEventType, string>> = {
  'customer.created': 'A new customer (first phone or e-mail)',
  'conversation.closed': 'A conversation was closed',
  'handoff.requested': 'A customer asked for a person',
  'booking.created': 'A booking was confirmed',
  'booking.changed': 'A booking was moved',
  'booking.cancelled': 'A booking was cancelled',
  'payment.succeeded': 'A deposit was paid',
};

export const subscriptionDecoder = object({
  webhookId: string,
  url: string,
  events: array(oneOf(...webhookEvents)),
  description: optional(string),
  createdAt: string,
  secretHint: string,
});
export type WebhookSubscription = Infer<typeof subscriptionDecoder>;

export const deliveryDecoder = object({
  deliveryId: string,
  eventId: string,
  eventType: string,
  target: oneOf('webhook', 'hubspot'),
  webhookId: optional(string),
  url: optional(string),
  status: oneOf('sending', 'delivered', 'failed'),
  attempts: number,
  statusCode: optional(number),
  error: optional(string),
  responseMs: optional(number),
  createdAt: string,
  updatedAt: string,
});
export type WebhookDelivery = Infer<typeof deliveryDecoder>;

const listDecoder = object({ items: array(subscriptionDecoder) });
const createdDecoder = object({ webhook: subscriptionDecoder, secret: string });
const removedDecoder = object({ removed: object({ webhookId: string }) });
const deliveryResultDecoder = object({ delivery: deliveryDecoder });
const deliveriesDecoder = object({ items: array(deliveryDecoder) });

export function webhooksApi(api: ApiClient) {
  return {
    list: async (o?: RequestOptions): Promise<WebhookSubscription[]> => (await api.call('GET', '/v1/admin/webhooks', listDecoder, undefined, o)).items,
    /** The answer's `secret` is never shown again. */
    create: async (input: { url: string; events: readonly WebhookEventType[] }, o?: RequestOptions) => api.call('POST', '/v1/admin/webhooks', createdDecoder, input, o),
    remove: async (webhookId: string, o?: RequestOptions): Promise<void> => {
      await api.call('DELETE', `/v1/admin/webhooks/${encodeURIComponent(webhookId)}`, removedDecoder, undefined, o);
    },
    test: async (webhookId: string, o?: RequestOptions): Promise<WebhookDelivery> =>
      (await api.call('POST', `/v1/admin/webhooks/${encodeURIComponent(webhookId)}/test`, deliveryResultDecoder, undefined, o)).delivery,
    failed: async (o?: RequestOptions): Promise<WebhookDelivery[]> => (await api.call('GET', '/v1/admin/webhooks/deliveries?status=failed', deliveriesDecoder, undefined, o)).items,
    redeliver: async (deliveryId: string, o?: RequestOptions): Promise<WebhookDelivery> =>
      (await api.call('POST', `/v1/admin/webhooks/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, deliveryResultDecoder, undefined, o)).delivery,
  };
}

/** "delivered · HTTP 200 · 35 ms" / "failed · HTTP 500 · 3 attempts". */
export function outcomeLine(d: WebhookDelivery): string {
  return [
    d.status,
    d.statusCode !== undefined ? `HTTP ${d.statusCode}` : d.error,
    d.status === 'delivered' && d.responseMs !== undefined ? `${Math.round(d.responseMs)} ms` : `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
  ]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(' · ');
}
