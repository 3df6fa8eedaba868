/** WebSocket $connect: the authorizer has checked key and origin; record the connection. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { store } from '../adapters/container';
import { callerOf } from './lib/websocket';
import { logger } from './lib/powertools';

export const handler = middy(async (event: APIGatewayProxyWebsocketEventV2): Promise<{ statusCode: number }> => {
  const caller = callerOf(event);
  await store().putConnection(caller.tenantId, caller.connectionId, caller.visitorId);
  logger.info('connected', { tenantId: caller.tenantId });
  return { statusCode: 200 };
}).use(injectLambdaContext(logger, { resetKeys: true }));
