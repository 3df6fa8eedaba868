/**
 * EventBridge target of `channel.message.received` (rule ChannelMessages): an inbound WhatsApp, SMS or
 * Messenger message joins the sender's open conversation (a new one after the last was closed) and runs the
 * same pipeline as a web message; the reply leaves as `message.send` for the channel senders. A redelivered
 * event is acknowledged by the conversation (the provider's message id is the message's clientId), never
 * answered twice.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { z } from 'zod';
import { channelDeps } from '../adapters/container';
import { inboundMessageSchema, receiveChannelMessage } from '../core/channels/inbound';
import { correlation } from './lib/correlation';
import { logger, tracer } from './lib/powertools';

const eventSchema = z.object({
  'detail-type': z.literal('channel.message.received'),
  // The publisher stamps the webhook's correlation id on the detail (lib/correlation.ts withCorrelationId).
  detail: inboundMessageSchema.extend({ correlationId: z.string().optional() }),
});

export const handler = middy(async (raw: unknown): Promise<{ outcome: string; conversationId?: string }> => {
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    logger.warn('ignored a malformed event', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return { outcome: 'ignored' };
  }
  const { correlationId: _correlationId, ...message } = parsed.data.detail;
  logger.appendKeys({ tenantId: message.tenantId });
  const result = await receiveChannelMessage(channelDeps(), message);
  logger.info('channel message', { channel: message.channel, providerMessageId: message.providerMessageId, outcome: result.outcome });
  return { outcome: result.outcome, ...('conversationId' in result ? { conversationId: result.conversationId } : {}) };
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer));
