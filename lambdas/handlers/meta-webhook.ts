/**
 * `GET` + `POST /v1/webhooks/meta/{tenantId}`: Meta's Messenger webhook.
 *
 * GET is the subscription check: `hub.mode=subscribe` with the tenant's verify token (else the environment's)
 * echoes `hub.challenge` as text/plain; anything else is 403. POST checks `X-Hub-Signature-256` (HMAC-SHA256
 * of the raw body with the app secret, constant-time) before parsing anything; each customer message of a
 * verified delivery becomes one `channel.message.received` event (once per mid), and Meta gets `EVENT_RECEIVED`.
 * Either, verified for a tenant that does not exist (no profile), is 404. A body that is not a Messenger delivery
 * is 400; a malformed entry or item inside one is left out (logged as a warning), the rest is published and
 * acknowledged: Meta redelivers a refused batch unchanged, so a 400 would lose its good messages.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { z } from 'zod';
import { restRoutes } from '../../lib/declaration';
import { webhookSecrets } from '../adapters/container';
import { inboundFromMeta, validMetaSignature, validVerifyToken } from '../core/channels/inbound';
import { badRequest, forbidden } from '../core/errors';
import { isTenantId } from '../core/ids';
import { headerOf, NO_STORE, publishOnce, rawBodyOf, tenantExists, tenantMustExist, withHeaders } from './lib/channel-webhook';
import { errorResponse } from './lib/rest';
import { logger, metrics, tracer } from './lib/powertools';
import { correlation, currentCorrelationId } from './lib/correlation';

const routes = restRoutes.filter((r) => r.fn === 'metaWebhook');
if (routes.length !== 2) throw new Error('metaWebhook: expected its GET and POST routes in lib/declaration.ts');

const text = (status: number, body: string): APIGatewayProxyResult => ({ statusCode: status, headers: { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE }, body });

const subscriptionQuery = z.object({
  'hub.mode': z.literal('subscribe', 'must be subscribe'),
  'hub.verify_token': z.string().max(256),
  'hub.challenge': z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be the challenge Meta sent'),
});

async function verify(tenantId: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const query = subscriptionQuery.safeParse(event.queryStringParameters ?? {});
  const expected = await webhookSecrets.metaVerifyToken(tenantId);
  if (!query.success || !expected || !validVerifyToken(expected, query.data['hub.verify_token'])) throw forbidden('the verify token does not match');
  // The environment's verify token matches any tenant id: no subscription for a tenant that does not exist.
  await tenantMustExist(tenantId);
  return text(200, query.data['hub.challenge']);
}

async function receiveMessages(tenantId: string, event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  // 1. the signature, on the exact bytes, before anything parses them.
  const raw = rawBodyOf(event);
  const signature = headerOf(event, 'X-Hub-Signature-256');
  if (!signature) throw forbidden('missing X-Hub-Signature-256');
  const appSecret = await webhookSecrets.metaAppSecret(tenantId);
  if (!appSecret) {
    // Nothing verified the caller: a URL naming no tenant gets the same 403 (whether a tenant exists is not told),
    // and only a real tenant missing its credentials is worth an error in the logs.
    if (!(await tenantExists(tenantId))) throw forbidden('this tenant has no Meta credentials');
    logger.error('no Meta app secret for this tenant or environment: refusing its webhooks');
    throw forbidden('this tenant has no Meta credentials');
  }
  if (!validMetaSignature(appSecret, raw, signature)) throw forbidden('invalid X-Hub-Signature-256');
  // Verified, but for whom: nothing is published for a tenant that does not exist.
  await tenantMustExist(tenantId);

  // 2. the messages.
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
  const pageId = await webhookSecrets.metaPageId(tenantId);
  // A malformed entry or item is left out, not the delivery: where and why are logged, never its content.
  let skipped = 0;
  const onSkipped = (item: { path: string; reason: string }): void => {
    skipped++;
    logger.warn('skipped a malformed item of a Meta delivery', { path: item.path, reason: item.reason });
  };
  const messages = inboundFromMeta(tenantId, body, pageId, onSkipped).filter((m) => m.text.trim() !== '' || m.media.length > 0);
  let published = 0;
  for (const message of messages) if (await publishOnce(message, context)) published++;
  logger.info('inbound messages', { channel: 'messenger', received: messages.length, published, skipped });
  if (published > 0) metrics.addMetric('channelMessagesReceived', 'Count', published);
  return text(200, 'EVENT_RECEIVED');
}

async function receive(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  try {
    const route = routes.find((r) => r.method === event.httpMethod && r.path === event.resource);
    if (!route) throw badRequest(`no route ${event.httpMethod} ${event.resource}`);
    const tenantId = event.pathParameters?.['tenantId'] ?? '';
    if (!isTenantId(tenantId)) throw badRequest('tenantId: not a tenant id', 'tenantId');
    logger.appendKeys({ tenantId });
    return route.method === 'GET' ? await verify(tenantId, event) : await receiveMessages(tenantId, event, context);
  } catch (error) {
    const response = errorResponse(error, currentCorrelationId() ?? context.awsRequestId);
    if (response.statusCode < 500) logger.warn('refused a Meta webhook request', { method: event.httpMethod, status: response.statusCode, reason: response.body });
    return withHeaders(response);
  }
}

export const handler = middy(receive)
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
