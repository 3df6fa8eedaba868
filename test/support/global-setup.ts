/**
 * Jest global setup: one DynamoDB Local (in memory) for the whole run. Every `startLocalCloud()` of a test file
 * then makes a table of its own on it (local-cloud/index.ts, SHARED_DYNAMODB_ENV) instead of starting a JVM:
 * on a 2-core CI machine, ~40 JVM starts and their JIT warm-ups were minutes of the suite. Tests that start
 * DynamoDB Local themselves (test/local-cloud/dynamodb-local.test.ts) or give the cloud a data folder are unaffected.
 */
import { SHARED_DYNAMODB_ENV, startDynamoDbLocal } from '../../local-cloud/dynamodb-local';

export default async function globalSetup(): Promise<void> {
  if (process.env[SHARED_DYNAMODB_ENV]) return;
  const dynamo = await startDynamoDbLocal({ port: 0 });
  process.env[SHARED_DYNAMODB_ENV] = dynamo.endpoint;
  Reflect.set(globalThis, '__conciergeSharedDynamo', dynamo);
}
