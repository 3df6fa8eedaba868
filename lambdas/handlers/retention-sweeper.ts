/**
 * EventBridge target: the retention sweeper (core/privacy/retention.ts).
 * - `privacy.retention.changed`: a full sweep — conversations older than the new period are deleted with
 *   everything in their partition and what names them; the rest are re-stamped with their new expiry.
 * - `conversation.started`: a cheap sweep of what has become too old since (at most once per tenant per
 *   container every few minutes; nothing at all for tenants that keep conversations).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { privacyStore, retentionDeps } from '../adapters/container';
import { isTenantId } from '../core/ids';
import { sweepRetention, type SweepResult } from '../core/privacy/retention';
import { logger } from './lib/powertools';

const eventSchema = z.object({
  'detail-type': z.enum(['privacy.retention.changed', 'conversation.started']),
  detail: z.object({ tenantId: z.string().refine(isTenantId, 'must be a tenant id') }).passthrough(),
});

/** A tenant's cheap sweeps run at most this often in one container. */
const LIGHT_SWEEP_EVERY_MS = 5 * 60 * 1000;
const lastLightSweep = new Map<string, number>();

export const handler = middy(async (raw: unknown): Promise<SweepResult | { skipped: string }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { skipped: 'malformed' };
  }
  const tenantId = parsed.data.detail.tenantId;
  if (parsed.data['detail-type'] === 'conversation.started') {
    // The cached period: a tenant that keeps conversations costs nothing here.
    if ((await privacyStore().retentionDays(tenantId)) === null) return { skipped: 'kept' };
    const last = lastLightSweep.get(tenantId) ?? 0;
    if (Date.now() - last < LIGHT_SWEEP_EVERY_MS) return { skipped: 'recent' };
    lastLightSweep.set(tenantId, Date.now());
    const result = await sweepRetention(retentionDeps(), tenantId, 'expired');
    if (result.deleted > 0) logger.info('retention sweep', { tenantId, ...result });
    return result;
  }
  const result = await sweepRetention(retentionDeps(), tenantId, 'full');
  logger.info('retention sweep after a change of period', { tenantId, ...result });
  return result;
}).use(injectLambdaContext(logger, { resetKeys: true }));
