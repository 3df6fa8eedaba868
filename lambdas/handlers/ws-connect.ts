/** WebSocket $connect: the authorizer has checked key and origin (or the staff token); record the connection. */
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
    // A staff inbox: a connection (so it can watch a conversation) and a presence entry (who is online).
    await store().putConnection(staff.tenantId, staff.connectionId, `staff-${staff.sub}`);
    await handoffStore().putStaffConnection(staff.tenantId, {
      connectionId: staff.connectionId,
      sub: staff.sub,
      email: staff.email,
      groups: staff.groups,
      ...(staff.expiresAt !== undefined ? { expiresAt: staff.expiresAt } : {}),
    });
    logger.info('staff connected', { tenantId: staff.tenantId });
    return { statusCode: 200 };
  }
  const caller = callerOf(event);
  await store().putConnection(caller.tenantId, caller.connectionId, caller.visitorId);
  logger.info('connected', { tenantId: caller.tenantId });
  return { statusCode: 200 };
})
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(captureLambdaHandler(tracer));
