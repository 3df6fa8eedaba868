/**
 * AWS SDK clients, created once per module load and shared by every
 * invocation. Endpoint overrides come only from the local cloud's environment.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const memo = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}

export function documentClient(endpoint?: string): DynamoDBDocumentClient {
  return once(`ddb:${endpoint ?? ''}`, () =>
    DynamoDBDocumentClient.from(new DynamoDBClient(endpoint ? { endpoint, maxAttempts: 5 } : { maxAttempts: 5 }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
}

export function eventBridgeClient(endpoint?: string): EventBridgeClient {
  return once(`eb:${endpoint ?? ''}`, () => new EventBridgeClient(endpoint ? { endpoint } : {}));
}

export function managementClient(endpoint: string): ApiGatewayManagementApiClient {
  return once(`apigw:${endpoint}`, () => new ApiGatewayManagementApiClient({ endpoint }));
}

export function sfnClient(endpoint?: string): SFNClient {
  return once(`sfn:${endpoint ?? ''}`, () => new SFNClient(endpoint ? { endpoint } : {}));
}
