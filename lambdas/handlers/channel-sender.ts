/**
 * EventBridge target of `message.send` (rule ChannelSend): delivers one stored message to its customer on
 * WhatsApp / SMS (Twilio), Messenger (Meta) or into the channel outbox (core/channels/outbound.ts). A malformed
 * event is logged and dropped; a retryable provider failure fails the invocation so EventBridge retries it and,
 * in the end, puts it in the rule's dead-letter queue. Logs carry ids and outcomes only — never text or numbers.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { z } from 'zod';
import { outboundDeps } from '../adapters/container';
import { outboundChannels } from '../core/channels/format';
import { DeliveryError, sendChannelMessage, type SendOutcome } from '../core/channels/outbound';
import { sendKinds } from '../core/channels/policy';
import { isTenantId } from '../core/ids';
import { recordChannelDeliveryFailed } from './lib/business-metrics';
import { correlation } from './lib/correlation';
import { logger, metrics, tracer } from './lib/powertools';

const id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

/** The `message.send` event (core/conversation.ts deliverToCustomer). */
export const messageSendEvent = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.literal('message.send'),
  detail: z.object({
    tenantId: z.string().refine(isTenantId, 'not a tenant id'),
    conversationId: id,
    seq: z.number().int().min(1),
    channel: z.enum(outboundChannels),
    kind: z.enum(sendKinds),
  }),
});

export const handler = middy(async (raw: unknown): Promise<SendOutcome> => {
  const parsed = messageSendEvent.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed message.send event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { outcome: 'skipped', reason: 'malformed event' };
  }
  const { detail } = parsed.data;
  logger.appendKeys({ tenantId: detail.tenantId, conversationId: detail.conversationId, seq: detail.seq, channel: detail.channel, kind: detail.kind });
  try {
    const result = await sendChannelMessage(outboundDeps(), detail);
    logger.info('channel delivery', { ...result });
    metrics.addMetric(`channel_${result.outcome}`, 'Count', 1);
    if (result.outcome === 'failed') recordChannelDeliveryFailed(detail.tenantId, detail.channel);
    return result;
  } catch (error) {
    if (error instanceof DeliveryError) {
      logger.warn('channel delivery will be retried', { code: error.code, reason: error.message });
      metrics.addMetric('channel_retry', 'Count', 1);
    }
    throw error;
  }
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
