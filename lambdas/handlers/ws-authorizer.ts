/**
 * $connect authorizer: the public widget key must be the tenant's current key
 * and the page's Origin must be one the tenant allows. The context it returns
 * (tenantId, visitorId) reaches every later WebSocket route.
 *
 * Staff (the admin UI's live inbox) connect to the same API with
 * `key=staff.<Cognito ID token>`: API Gateway needs every identity source
 * present, so one `key` parameter carries either credential (docs/decisions.md).
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { store } from '../adapters/container';
import { VISITOR_ID_PATTERN, originAllowed, sameKey, tenantOfWidgetKey } from '../core/widget-key';
import { correlation } from './lib/correlation';
import { logger } from './lib/powertools';
import { STAFF_KEY_PREFIX, authorizeStaffConnection } from './lib/staff-websocket';

function policy(effect: 'Allow' | 'Deny', resource: string, context?: Record<string, string>): APIGatewayAuthorizerResult {
  return {
    principalId: context?.['visitorId'] ?? 'anonymous',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(context ? { context } : {}),
  };
}

export const handler = middy(async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const key = event.queryStringParameters?.['key'] ?? '';
  if (key.startsWith(STAFF_KEY_PREFIX)) return authorizeStaffConnection(key, event.methodArn);
  const visitorId = event.queryStringParameters?.['visitor'] ?? '';
  const origin = event.headers?.['Origin'] ?? event.headers?.['origin'];
  const tenantId = tenantOfWidgetKey(key);
  // API Gateway answers a thrown "Unauthorized" with 401 and a Deny policy with 403.
  if (!tenantId) throw new Error('Unauthorized');
  if (!VISITOR_ID_PATTERN.test(visitorId)) {
    logger.warn('refused: bad visitor id', { tenantId });
    return policy('Deny', event.methodArn);
  }
  const profile = await store().getProfile(tenantId);
  if (!profile || !sameKey(profile.widgetKey, key)) {
    logger.warn('refused: unknown widget key', { tenantId });
    throw new Error('Unauthorized');
  }
  if (!originAllowed(origin, profile.allowedOrigins)) {
    logger.warn('refused: origin not allowed', { tenantId, origin });
    return policy('Deny', event.methodArn);
  }
  return policy('Allow', event.methodArn, { tenantId, visitorId });
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }));
