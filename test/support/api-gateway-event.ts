/** A REST event as API Gateway's Lambda proxy integration delivers it, for tests of the REST plumbing. */
import type { APIGatewayProxyEvent } from 'aws-lambda';

export function apiGatewayEvent(method: string, resource: string, requestContext: Record<string, unknown>, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource,
    body: null,
    headers: {},
    multiValueHeaders: {},
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: requestContext as unknown as APIGatewayProxyEvent['requestContext'],
    ...extra,
  };
}
