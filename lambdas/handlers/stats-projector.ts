/**
 * EventBridge target: projects conversation, handoff, booking and payment events into per-tenant analytics
 * (core/analytics/projector.ts, docs/metrics.md): day counters in the tenant's time zone, per-conversation facts
 * and knowledge gaps. Each event id counts once, so a redelivered or replayed event changes nothing.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { analyticsStore, store } from '../adapters/container';
import { projectEvent } from '../core/analytics/projector';
import { isTenantId } from '../core/ids';
import { recordBusinessMetric } from './lib/business-metrics';
import { correlation } from './lib/correlation';
import { logger } from './lib/powertools';

export { dayIn } from '../core/analytics/projector';

const eventSchema = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.object({ tenantId: z.string().refine(isTenantId) }).passthrough(),
});

export const handler = middy(async (raw: unknown): Promise<{ counted: boolean }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { counted: false };
  }
  const event = parsed.data;
  const outcome = await projectEvent(
    { analytics: analyticsStore(), conversations: store(), tenants: store() },
    { id: event.id, type: event['detail-type'], time: event.time, tenantId: event.detail.tenantId, detail: event.detail },
  );
  if (outcome === 'applied') recordBusinessMetric(event);
  if (outcome === 'ignored') logger.debug('nothing to count in this event', { type: event['detail-type'], eventId: event.id });
  return { counted: outcome === 'applied' };
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }));
