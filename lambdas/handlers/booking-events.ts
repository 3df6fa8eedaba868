/**
 * EventBridge target: a verified payment outcome (`payment.succeeded` / `payment.failed`, published by
 * handlers/stripe-webhook.ts or the local checkout page) for a booking waiting for its deposit. Records the
 * payment on the booking and answers the booking workflow's payment task token; a payment for a booking that
 * already ended is refunded and the customer told. Replays change nothing (core/booking/workflow.ts).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { z } from 'zod';
import { bookingWorkflowDeps } from '../adapters/container';
import type { PaymentOutcome } from '../core/booking/ports';
import { onPaymentOutcome } from '../core/booking/workflow';
import { isTenantId } from '../core/ids';
import { correlation } from './lib/correlation';
import { logger, tracer } from './lib/powertools';

const eventSchema = z.object({
  'detail-type': z.enum(['payment.succeeded', 'payment.failed']),
  detail: z.object({
    tenantId: z.string().refine(isTenantId, 'must be a tenant id'),
    bookingId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a booking id'),
    eventId: z.string().min(1).max(255),
    paymentId: z.string().min(1).max(255).optional(),
    amountCents: z.number().int().min(0).optional(),
  }),
});

export const handler = middy(async (raw: unknown): Promise<{ handled: string }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed payment event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { handled: 'ignored' };
  }
  const { detail } = parsed.data;
  logger.appendKeys({ tenantId: detail.tenantId, bookingId: detail.bookingId });
  const outcome: PaymentOutcome = {
    tenantId: detail.tenantId,
    bookingId: detail.bookingId,
    status: parsed.data['detail-type'] === 'payment.succeeded' ? 'succeeded' : 'failed',
    eventId: detail.eventId,
    ...(detail.paymentId ? { paymentId: detail.paymentId } : {}),
    ...(detail.amountCents !== undefined ? { amountCents: detail.amountCents } : {}),
  };
  const result = await onPaymentOutcome(bookingWorkflowDeps(), outcome);
  logger.info('payment outcome handled', { status: outcome.status, eventId: outcome.eventId, handled: result.handled });
  return result;
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer));
