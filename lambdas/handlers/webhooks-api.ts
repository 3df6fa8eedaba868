/**
 * Admin REST routes of outbound webhooks: list, create (the signing secret is in that answer only) and delete
 * subscriptions, send a test ping, the dead-letter view of failed deliveries and their redelivery. Admins only
 * (the routes' `auth`); the tenant always comes from the verified token.
 */
import { z } from 'zod';
import { webhookDeps } from '../adapters/container';
import { unauthorized } from '../core/errors';
import {
  createSubscription,
  deleteSubscription,
  deliveryStatuses,
  deliveryView,
  newSubscriptionSchema,
  redeliver,
  sendTestPing,
  subscriptionView,
} from '../core/webhooks/service';
import { webhookEventTypes } from '../core/webhooks/events';
import { logger } from './lib/powertools';
import { restApi, type RestRequest, type StaffCaller } from './lib/rest';

function callerOf(request: RestRequest): StaffCaller {
  if (!request.caller) throw unauthorized('sign in to use this route');
  return request.caller;
}

const webhookPath = z.object({ webhookId: z.string().min(1).max(64) });
const deliveryPath = z.object({ deliveryId: z.string().min(1).max(64) });
const deliveriesQuery = z.object({
  status: z.enum(deliveryStatuses, { error: `must be one of ${deliveryStatuses.join(', ')}` }).default('failed'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const handler = restApi('webhooksApi', {
  listWebhooks: async (request) => {
    const caller = callerOf(request);
    const items = await webhookDeps().webhooks.listSubscriptions(caller.tenantId);
    return { body: { items: items.map(subscriptionView), events: webhookEventTypes } };
  },
  createWebhook: async (request) => {
    const caller = callerOf(request);
    const input = newSubscriptionSchema.parse(request.body ?? {});
    const { subscription, secret } = await createSubscription(webhookDeps(), caller.tenantId, caller.sub, input);
    logger.info('webhook subscription created', { webhookId: subscription.webhookId, events: subscription.events.join(','), by: caller.sub });
    return { status: 201, body: { webhook: subscriptionView(subscription), secret } };
  },
  deleteWebhook: async (request) => {
    const caller = callerOf(request);
    const { webhookId } = webhookPath.parse(request.path);
    await deleteSubscription(webhookDeps(), caller.tenantId, webhookId);
    logger.info('webhook subscription deleted', { webhookId, by: caller.sub });
    return { body: { removed: { webhookId } } };
  },
  testWebhook: async (request) => {
    const caller = callerOf(request);
    const { webhookId } = webhookPath.parse(request.path);
    const delivery = await sendTestPing(webhookDeps(), caller.tenantId, webhookId);
    return { body: { delivery: deliveryView(delivery) } };
  },
  listWebhookDeliveries: async (request) => {
    const caller = callerOf(request);
    const query = deliveriesQuery.parse(request.query);
    const items = await webhookDeps().webhooks.listDeliveries(caller.tenantId, query.status, query.limit);
    return { body: { items: items.map(deliveryView) } };
  },
  redeliverWebhook: async (request) => {
    const caller = callerOf(request);
    const { deliveryId } = deliveryPath.parse(request.path);
    const delivery = await redeliver(webhookDeps(), caller.tenantId, deliveryId);
    logger.info('webhook delivery redelivered', { deliveryId, status: delivery.status, by: caller.sub });
    return { body: { delivery: deliveryView(delivery) } };
  },
});
