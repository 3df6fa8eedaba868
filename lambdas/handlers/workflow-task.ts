/**
 * Task steps of the booking and handoff state machines. Each step is named in
 * the ASL (`Parameters.step` / `Payload.step`); an unknown step fails the task
 * so the state machine's Catch runs its compensation. The steps are thin: they
 * parse their input and call one use case of core/handoff.ts or
 * core/booking/workflow.ts.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { z } from 'zod';
import { bookingWorkflowDeps, handoffDeps } from '../adapters/container';
import * as bookingWorkflow from '../core/booking/workflow';
import {
  sendSurvey,
  stepAwaitAccept,
  stepCallbackExpired,
  stepAwaitOutcome,
  stepEscalate,
  stepFallback,
  stepNotify,
  stepOutcome,
  stepOwnerIdle,
  stepQueue,
} from '../core/handoff';
import { isTenantId } from '../core/ids';
import { correlation } from './lib/correlation';
import { logger, tracer } from './lib/powertools';

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

/** A caught error as Step Functions records it: `Error` (the Lambda errorType) and `Cause` (a Lambda's error as JSON). */
const caughtError = z.object({ Error: z.string().max(256), Cause: z.string().max(32_768).optional() }).loose();

/** The EventBridge event that started the booking workflow (`booking.requested`), plus what earlier states added. */
const bookingInput = z.object({
  detail: z.object({
    tenantId: z.string().refine(isTenantId, 'must be a tenant id'),
    bookingId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a booking id'),
  }),
  error: caughtError.optional(),
  calendarError: caughtError.optional(),
  notify: z.object({ start: z.iso.datetime() }).loose().optional(),
  checkout: z.object({ timeoutSeconds: z.number().int().min(0) }).loose().optional(),
});

/** The message of a Lambda error's Cause (`{"errorMessage": …}`), else the Cause itself. */
function causeText(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed = z.object({ errorMessage: z.string() }).safeParse(JSON.parse(cause));
    return parsed.success ? parsed.data.errorMessage : cause.slice(0, 500);
  } catch {
    return cause.slice(0, 500);
  }
}

async function bookingStep(task: z.infer<typeof taskSchema>): Promise<Record<string, unknown>> {
  const input = bookingInput.parse(task.input);
  const ref = { tenantId: input.detail.tenantId, bookingId: input.detail.bookingId };
  logger.appendKeys({ tenantId: ref.tenantId, bookingId: ref.bookingId, step: task.step });
  const deps = bookingWorkflowDeps();
  switch (task.step) {
    case 'booking.hold':
      return bookingWorkflow.stepHold(deps, { ...ref, executionId: required(task.executionId, 'executionId') });
    case 'booking.checkout':
      return bookingWorkflow.stepCheckout(deps, ref);
    case 'booking.awaitPayment':
      return bookingWorkflow.stepAwaitPayment(deps, { ...ref, taskToken: required(task.taskToken, 'taskToken') });
    case 'booking.confirm':
      return bookingWorkflow.stepConfirm(deps, ref);
    case 'booking.calendar':
      return bookingWorkflow.stepCalendar(deps, ref);
    case 'booking.calendarFailed': {
      const why = causeText(input.calendarError?.Cause) ?? input.calendarError?.Error;
      return bookingWorkflow.stepCalendarFailed(deps, { ...ref, ...(why ? { error: why } : {}) });
    }
    case 'booking.notify':
      return bookingWorkflow.stepNotify(deps, ref);
    case 'booking.remind':
      return bookingWorkflow.stepRemind(deps, { ...ref, start: required(input.notify?.start, 'notify.start') });
    case 'booking.compensate': {
      const cause = causeText(input.error?.Cause);
      // An unpaid deposit is reported with the wait the customer was told (the checkout's, which the provider may have moved).
      const paymentMinutes = input.checkout ? Math.max(1, Math.round(input.checkout.timeoutSeconds / 60)) : undefined;
      return bookingWorkflow.stepCompensate(deps, { ...ref, ...(input.error ? { error: input.error.Error } : {}), ...(cause ? { cause } : {}), ...(paymentMinutes ? { paymentMinutes } : {}) });
    }
    default:
      throw new UnknownStepError(`no task step named "${task.step}"`);
  }
}

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
  if (task.step.startsWith('booking.')) return bookingStep(task);
  if (!task.step.startsWith('handoff.')) throw new UnknownStepError(`no task step named "${task.step}"`);
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
    case 'handoff.callbackExpired':
      return stepCallbackExpired(deps, ids);
    case 'handoff.awaitOutcome':
      return stepAwaitOutcome(deps, { ...ids, taskToken: required(task.taskToken, 'taskToken') });
    case 'handoff.ownerIdle':
      return { ...(await stepOwnerIdle(deps, { ...ids, executionId: required(task.executionId, 'executionId') })) };
    case 'handoff.outcome':
      return stepOutcome(deps, ids);
    case 'handoff.survey':
      return sendSurvey(deps, ids);
    default:
      throw new UnknownStepError(`no task step named "${task.step}"`);
  }
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer));
