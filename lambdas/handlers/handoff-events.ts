/**
 * EventBridge target: a customer wrote in a conversation that is not the bot's
 * (`message.received` with mode waiting_for_human / human / closed). Captures a
 * CSAT answer or a callback contact, and tells the staff inbox.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { z } from 'zod';
import { handoffDeps } from '../adapters/container';
import { onCustomerMessage } from '../core/handoff';
import { isTenantId } from '../core/ids';
import { correlation } from './lib/correlation';
import { logger, tracer } from './lib/powertools';

const eventSchema = z.object({
  'detail-type': z.literal('message.received'),
  detail: z.object({
    tenantId: z.string().refine(isTenantId),
    conversationId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    seq: z.number().int().min(1),
  }),
});

export const handler = middy(async (raw: unknown): Promise<{ handled: string }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { handled: 'ignored' };
  }
  const { tenantId, conversationId, seq } = parsed.data.detail;
  logger.appendKeys({ tenantId });
  return onCustomerMessage(handoffDeps(), { tenantId, conversationId, seq });
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer));
