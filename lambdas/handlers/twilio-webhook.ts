/**
 * `POST /v1/webhooks/twilio/{tenantId}`: Twilio's incoming-message webhook, SMS and WhatsApp alike (a WhatsApp
 * sender is `whatsapp:+…`).
 *
 * `X-Twilio-Signature` is checked first, with `twilio.validateRequest` over the exact public URL Twilio called
 * and the form fields, using the tenant's Twilio auth token (else the environment's). A verified delivery to a
 * tenant that does not exist (no profile: the environment's token verifies any tenant id) is 404. Only then is
 * the form parsed; a verified message becomes one `channel.message.received` event (once per MessageSid) and
 * Twilio gets an empty TwiML `<Response/>` at once: the answer goes out later through the channel sender.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import twilio from 'twilio';
import { restRoutes } from '../../lib/declaration';
import { webhookSecrets } from '../adapters/container';
import { inboundFromTwilio } from '../core/channels/inbound';
import { badRequest, forbidden } from '../core/errors';
import { isTenantId } from '../core/ids';
import { headerOf, NO_STORE, publishOnce, rawBodyOf, tenantExists, tenantMustExist, withHeaders } from './lib/channel-webhook';
import { publicUrlOf } from './lib/public-url';
import { errorResponse } from './lib/rest';
import { logger, metrics, tracer } from './lib/powertools';
import { correlation, currentCorrelationId } from './lib/correlation';

const route = restRoutes.find((r) => r.operationId === 'receiveTwilioMessage');
if (!route) throw new Error('twilioWebhook: no route in lib/declaration.ts');

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const twiml = (): APIGatewayProxyResult => ({ statusCode: 200, headers: { 'content-type': 'text/xml; charset=utf-8', ...NO_STORE }, body: EMPTY_TWIML });

/** The form fields; a field sent twice keeps its first value (Twilio sends each once). */
function formOf(raw: Buffer): Record<string, string> {
  // No prototype: a field named "constructor" or "__proto__" is a field like any other (and `in` would see Object's).
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) if (!Object.hasOwn(params, k)) params[k] = v;
  return params;
}

async function receive(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  try {
    if (event.httpMethod !== route?.method || event.resource !== route.path) throw badRequest(`no route ${event.httpMethod} ${event.resource}`);
    const tenantId = event.pathParameters?.['tenantId'] ?? '';
    if (!isTenantId(tenantId)) throw badRequest('tenantId: not a tenant id', 'tenantId');
    logger.appendKeys({ tenantId });

    // 1. the signature, before anything reads the form.
    const signature = headerOf(event, 'X-Twilio-Signature');
    if (!signature) throw forbidden('missing X-Twilio-Signature');
    const authToken = await webhookSecrets.twilioAuthToken(tenantId);
    if (!authToken) {
      // Nothing verified the caller: a URL naming no tenant gets the same 403 (whether a tenant exists is not told),
      // and only a real tenant missing its credentials is worth an error in the logs.
      if (!(await tenantExists(tenantId))) throw forbidden('this tenant has no Twilio credentials');
      logger.error('no Twilio auth token for this tenant or environment: refusing its webhooks');
      throw forbidden('this tenant has no Twilio credentials');
    }
    const params = formOf(rawBodyOf(event));
    if (!twilio.validateRequest(authToken, signature, publicUrlOf(event), params)) throw forbidden('invalid X-Twilio-Signature');
    // Verified, but for whom: nothing is published for a tenant that does not exist.
    await tenantMustExist(tenantId);

    // 2. the message.
    // A malformed media item is left out, not the message: where and why are logged, never its content.
    const message = inboundFromTwilio(tenantId, params, (item) => logger.warn('skipped a malformed media item of a Twilio message', { path: item.path, reason: item.reason }));
    if (message.text.trim() === '' && message.media.length === 0) return twiml();
    const published = await publishOnce(message, context);
    logger.info('inbound message', { channel: message.channel, providerMessageId: message.providerMessageId, replay: !published, media: message.media.length });
    if (published) metrics.addMetric('channelMessagesReceived', 'Count', 1);
    return twiml();
  } catch (error) {
    const response = errorResponse(error, currentCorrelationId() ?? context.awsRequestId);
    // The reason only (it names a field or the signature): never the message text or the sender's number.
    if (response.statusCode < 500) logger.warn('refused a Twilio webhook delivery', { status: response.statusCode, reason: response.body });
    return withHeaders(response);
  }
}

export const handler = middy(receive)
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
