/**
 * `POST /v1/webhooks/twilio/{tenantId}/status?c=<conversationId>&s=<seq>&g=<segment>`: Twilio's delivery-status
 * callbacks for the messages the channel sender sent (the sender puts the delivery in the StatusCallback query).
 *
 * The signature comes first: `X-Twilio-Signature` is checked with the twilio library's `validateRequest` against
 * the exact public URL (lib/public-url.ts) and the form parameters, with the tenant's auth token (else the
 * environment's). Missing or forged → 403, as Twilio's own examples answer; a verified but malformed callback →
 * 400 naming the field. The status moves the delivery record forward only (callbacks arrive out of order and are
 * retried), so a repeated callback changes nothing. The answer is an empty TwiML document.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { z } from 'zod';
import { restRoutes } from '../../lib/declaration';
import { channelCredentials, channelStore } from '../adapters/container';
import { loadConfig } from '../adapters/config';
import { twilioAuthTokenFor } from '../adapters/channels/index';
import type { DeliveryStatus } from '../core/channels/outbound';
import { badRequest, forbidden } from '../core/errors';
import { isTenantId } from '../core/ids';
import { formParamsOf, headerOf, publicUrlOf, rawBodyOf } from './lib/public-url';
import { errorResponse } from './lib/rest';
import { logger } from './lib/powertools';
import { correlation, currentCorrelationId } from './lib/correlation';

const route = restRoutes.find((r) => r.fn === 'twilioStatus');
if (!route) throw new Error('twilioStatus: no route in lib/declaration.ts');

const config = loadConfig(['TABLE_NAME']);

/** Twilio's statuses as ours; `receiving`/`received` (inbound) are not delivery statuses. */
const STATUS: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'accepted',
  scheduled: 'accepted',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  partially_delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

const deliveryQuery = z.object({
  c: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be a conversation id'),
  s: z.coerce.number().int().min(1),
  g: z.coerce.number().int().min(0).max(99),
});

const statusForm = z.object({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, 'must be a Twilio message SID'),
  // Own keys only: `in` would also match Object.prototype's (constructor, toString, __proto__…).
  MessageStatus: z.string().refine((s) => Object.hasOwn(STATUS, s), 'is not a delivery status'),
  ErrorCode: z.string().regex(/^\d{1,8}$/, 'must be a Twilio error code').optional(),
});

const TWIML = { statusCode: 200, headers: { 'content-type': 'text/xml; charset=utf-8', 'cache-control': 'no-store' }, body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' };

async function receive(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  try {
    if (event.httpMethod !== route?.method || event.resource !== route.path) throw badRequest(`no route ${event.httpMethod} ${event.resource}`);
    const tenantId = event.pathParameters?.['tenantId'] ?? '';
    if (!isTenantId(tenantId)) throw badRequest('tenantId: not a tenant id', 'tenantId');
    logger.appendKeys({ tenantId });

    const params = formParamsOf(rawBodyOf(event));
    const signature = headerOf(event.headers, 'X-Twilio-Signature');
    const token = await twilioAuthTokenFor(tenantId, config, channelCredentials());
    if (!token) {
      logger.warn('refused a Twilio status callback: no Twilio auth token for the tenant or the environment');
      throw forbidden('the signature cannot be verified');
    }
    if (!signature || !validateRequest(token, signature, publicUrlOf(event), params)) throw forbidden('invalid X-Twilio-Signature');

    const where = deliveryQuery.safeParse(event.queryStringParameters ?? {});
    if (!where.success) throw badRequest(`${where.error.issues[0]?.path.join('.') ?? 'query'}: ${where.error.issues[0]?.message ?? 'invalid'}`, where.error.issues[0]?.path.join('.'));
    const form = statusForm.parse(params);
    const status = STATUS[form.MessageStatus] ?? 'queued';
    const result = await channelStore().applyStatus(
      { tenantId, conversationId: where.data.c, seq: where.data.s, segment: where.data.g },
      { providerMessageId: form.MessageSid, status, at: new Date().toISOString(), ...(form.ErrorCode ? { errorCode: form.ErrorCode } : {}) },
    );
    logger.info('delivery status', { conversationId: where.data.c, seq: where.data.s, segment: where.data.g, status, errorCode: form.ErrorCode, result });
    return TWIML;
  } catch (error) {
    const response = errorResponse(error, currentCorrelationId() ?? context.awsRequestId);
    if (response.statusCode < 500) logger.warn('refused a Twilio status callback', { status: response.statusCode, reason: response.body });
    return response;
  }
}

export const handler = middy(receive)
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }));
