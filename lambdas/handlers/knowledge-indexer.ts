/**
 * EventBridge target: the knowledge indexer (core/knowledge-indexing.ts). `knowledge.changed` — an import or an
 * admin edit of one FAQ or document — has its passages embedded where a write ran out of its budget, the vectors
 * kept in the table, and (with OpenSearch Serverless) the collection's copy brought in line with the table.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { knowledgeIndexingDeps } from '../adapters/container';
import { isTenantId } from '../core/ids';
import { itemIdSchema } from '../core/knowledge-items';
import { indexKnowledge, type IndexingResult } from '../core/knowledge-indexing';
import { correlation } from './lib/correlation';
import { logger } from './lib/powertools';

const eventSchema = z.object({
  'detail-type': z.literal('knowledge.changed'),
  detail: z
    .object({
      tenantId: z.string().refine(isTenantId, 'must be a tenant id'),
      version: z.number().int().min(0),
      sourceId: itemIdSchema.optional(),
    })
    .passthrough(),
});

export const handler = middy(async (raw: unknown): Promise<IndexingResult | { skipped: string }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { skipped: 'malformed' };
  }
  const { tenantId, version, sourceId } = parsed.data.detail;
  const result = await indexKnowledge(await knowledgeIndexingDeps(), { tenantId, version, ...(sourceId !== undefined ? { sourceId } : {}) });
  logger.info('knowledge indexed', { tenantId, eventVersion: version, ...(sourceId !== undefined ? { sourceId } : {}), ...result });
  return result;
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }));
