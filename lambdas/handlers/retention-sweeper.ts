/**
 * EventBridge target: the retention sweeper (core/privacy/retention.ts).
 * - `privacy.retention.changed`: a full sweep — conversations older than the new period are deleted with
 *   everything in their partition and what names them; the rest are re-stamped with their new expiry.
 * - the daily schedule (`DailyRetentionSweep`, EventBridge's `Scheduled Event`): one `privacy.retention.due` per
 *   tenant with a period, on the bus, so each tenant is swept in an invocation of its own;
 * - `privacy.retention.due`: that tenant's cheap sweep of what has become too old since.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { retentionDeps, retentionScheduleDeps } from '../adapters/container';
import { isTenantId } from '../core/ids';
import { scheduleRetentionSweeps, sweepRetention, type SweepResult } from '../core/privacy/retention';
import { correlation } from './lib/correlation';
import { logger } from './lib/powertools';

const eventSchema = z.object({
  'detail-type': z.enum(['privacy.retention.changed', 'privacy.retention.due']),
  detail: z.object({ tenantId: z.string().refine(isTenantId, 'must be a tenant id') }).passthrough(),
});

/** What EventBridge sends a schedule's target. */
const scheduledEventSchema = z.object({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  detail: z.object({}).passthrough(),
  resources: z.array(z.string()).optional(),
});

export const handler = middy(async (raw: unknown): Promise<SweepResult | { skipped: string } | { scheduled: number }> => {
  const scheduled = scheduledEventSchema.safeParse(raw);
  if (scheduled.success) {
    const { tenants } = await scheduleRetentionSweeps(retentionScheduleDeps());
    logger.info('daily retention sweep scheduled', { tenants, rule: scheduled.data.resources?.[0] });
    return { scheduled: tenants };
  }
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { skipped: 'malformed' };
  }
  const tenantId = parsed.data.detail.tenantId;
  if (parsed.data['detail-type'] === 'privacy.retention.due') {
    const result = await sweepRetention(retentionDeps(), tenantId, 'expired');
    if (result.deleted > 0) logger.info('daily retention sweep', { tenantId, ...result });
    return result;
  }
  const result = await sweepRetention(retentionDeps(), tenantId, 'full');
  logger.info('retention sweep after a change of period', { tenantId, ...result });
  return result;
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }));
