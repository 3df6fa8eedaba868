/**
 * EventBridge target of the OutboundWebhooks rule: a customer, conversation, handoff, booking or payment event
 * becomes signed POSTs to the tenant's webhook subscriptions and, for customers and new bookings, a HubSpot
 * contact upsert (core/webhooks/service.ts). Receivers' failures are recorded (the dead-letter view), not thrown;
 * a malformed event is logged and dropped; our own failures throw, for the rule's retries and dead-letter queue.
 * Logs carry ids and counts only — never a URL, a payload or a secret.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { z } from 'zod';
import { webhookDeps } from '../adapters/container';
import { isTenantId } from '../core/ids';
import { webhookSourceEvents } from '../core/webhooks/events';
import { dispatchEvent, type DispatchResult } from '../core/webhooks/service';
import { logger, metrics } from './lib/powertools';
import { correlation } from './lib/correlation';

/** The EventBridge envelope of a source event. */
export const webhookSourceEvent = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.enum(webhookSourceEvents),
  time: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a time'),
  detail: z.looseObject({ tenantId: z.string().refine(isTenantId, 'not a tenant id') }),
});

export const handler = middy(async (raw: unknown): Promise<DispatchResult | { skipped: string }> => {
  const parsed = webhookSourceEvent.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { skipped: 'malformed event' };
  }
  const { id, time, detail } = parsed.data;
  const type = parsed.data['detail-type'];
  logger.appendKeys({ tenantId: detail.tenantId, eventId: id, sourceType: type });
  const result = await dispatchEvent(webhookDeps(), { id, type, time: new Date(time).toISOString(), tenantId: detail.tenantId, detail });
  if (result.eventType) logger.info('webhook dispatch', { ...result });
  metrics.addMetric('webhooks_delivered', 'Count', result.delivered);
  metrics.addMetric('webhooks_failed', 'Count', result.failed);
  return result;
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
