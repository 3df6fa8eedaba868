/** WebSocket $disconnect: forget the connection and its subscription. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { handoffStore, store } from '../adapters/container';
import { callerOf } from './lib/websocket';
import { correlation } from './lib/correlation';
import { logger, tracer } from './lib/powertools';
import { staffCallerOf } from './lib/staff-websocket';

export const handler = middy(async (event: APIGatewayProxyWebsocketEventV2): Promise<{ statusCode: number }> => {
  const staff = staffCallerOf(event);
  if (staff) {
    await handoffStore().removeStaffConnection(staff.tenantId, staff.connectionId);
    await store().removeConnection(staff.tenantId, staff.connectionId);
    return { statusCode: 200 };
  }
  const caller = callerOf(event);
  await store().removeConnection(caller.tenantId, caller.connectionId);
  return { statusCode: 200 };
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer));
