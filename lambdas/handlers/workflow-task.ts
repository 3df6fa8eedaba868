/**
 * Task steps of the booking and handoff state machines. Each step is named in
 * the ASL (`Parameters.step`); an unknown step fails the task so the state
 * machine's Catch runs its compensation.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { chatDeps } from '../adapters/container';
import { broadcast } from '../core/conversation';
import { isTenantId } from '../core/ids';
import { logger } from './lib/powertools';

const handoffInput = z.object({
  detail: z.object({ tenantId: z.string().refine(isTenantId), conversationId: z.string().min(1), reason: z.string().max(200).optional() }),
});

const taskSchema = z.object({ step: z.string(), input: z.unknown() });

export class UnknownStepError extends Error {
  override name = 'UnknownStepError';
}

export const handler = middy(async (raw: unknown): Promise<Record<string, unknown>> => {
  const task = taskSchema.parse(raw);
  switch (task.step) {
    case 'handoff.queue': {
      const { detail } = handoffInput.parse(task.input);
      const deps = chatDeps();
      const conversation = await deps.conversations.getConversation(detail.tenantId, detail.conversationId);
      if (!conversation) throw new Error(`conversation ${detail.conversationId} not found`);
      await broadcast(deps, detail.tenantId, detail.conversationId, { type: 'state', id: `state:${detail.conversationId}:queued`, mode: 'waiting_for_human' });
      logger.info('handoff queued', { tenantId: detail.tenantId, reason: detail.reason ?? 'customer request' });
      return { queued: true, conversationId: detail.conversationId };
    }
    default:
      // The booking steps arrive with the bookings capability; until then the workflow fails into its compensation path.
      throw new UnknownStepError(`no task step named "${task.step}"`);
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
