/**
 * Task steps of the booking and handoff state machines. Each step is named in
 * the ASL (`Parameters.step` / `Payload.step`); an unknown step fails the task
 * so the state machine's Catch runs its compensation. The handoff steps are
 * thin: they parse their input and call one use case of core/handoff.ts.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { handoffDeps } from '../adapters/container';
import {
  sendSurvey,
  stepAwaitAccept,
  stepAwaitOutcome,
  stepEscalate,
  stepFallback,
  stepNotify,
  stepOutcome,
  stepQueue,
} from '../core/handoff';
import { isTenantId } from '../core/ids';
import { logger } from './lib/powertools';

/** The EventBridge event that started the handoff (`handoff.requested`), as the execution's input. */
const handoffInput = z.object({
  detail: z.object({
    tenantId: z.string().refine(isTenantId, 'must be a tenant id'),
    conversationId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    reason: z.string().max(200).optional(),
  }),
  queue: z.object({ why: z.enum(['after_hours', 'nobody_available']).optional() }).loose().optional(),
  escalate: z.object({ why: z.enum(['after_hours', 'nobody_available']).optional() }).loose().optional(),
});

const taskSchema = z.object({
  step: z.string(),
  input: z.unknown(),
  /** `$$.Execution.Id`, on the steps that need to know which execution they belong to. */
  executionId: z.string().min(1).max(2048).optional(),
  /** `$$.Task.Token`, on `.waitForTaskToken` steps. */
  taskToken: z.string().min(1).max(2048).optional(),
});

export class UnknownStepError extends Error {
  override name = 'UnknownStepError';
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`this step needs ${what}`);
  return value;
}

export const handler = middy(async (raw: unknown): Promise<Record<string, unknown>> => {
  const task = taskSchema.parse(raw);
  if (!task.step.startsWith('handoff.')) {
    // The booking steps arrive with the bookings capability; until then the workflow fails into its compensation path.
    throw new UnknownStepError(`no task step named "${task.step}"`);
  }
  const input = handoffInput.parse(task.input);
  const { tenantId, conversationId } = input.detail;
  const ids = { tenantId, conversationId };
  logger.appendKeys({ tenantId, step: task.step });
  const deps = handoffDeps();
  switch (task.step) {
    case 'handoff.queue':
      return { ...(await stepQueue(deps, { ...ids, reason: input.detail.reason ?? 'customer asked for a person', executionId: required(task.executionId, 'executionId') })) };
    case 'handoff.notify':
      return stepNotify(deps, ids);
    case 'handoff.awaitAccept':
      return stepAwaitAccept(deps, { ...ids, taskToken: required(task.taskToken, 'taskToken') });
    case 'handoff.escalate':
      return { ...(await stepEscalate(deps, ids)) };
    case 'handoff.fallback': {
      const why = input.escalate?.why ?? input.queue?.why;
      return { ...(await stepFallback(deps, { ...ids, ...(why ? { why } : {}) })) };
    }
    case 'handoff.awaitOutcome':
      return stepAwaitOutcome(deps, { ...ids, taskToken: required(task.taskToken, 'taskToken') });
    case 'handoff.outcome':
      return stepOutcome(deps, ids);
    case 'handoff.survey':
      return sendSurvey(deps, ids);
    default:
      throw new UnknownStepError(`no task step named "${task.step}"`);
  }
}).use(injectLambdaContext(logger, { resetKeys: true }));
