/**
 * A table of the test's own on the run's shared DynamoDB Local (test/support/global-setup.ts): for tests of one
 * adapter or one handler path that need DynamoDB but not a whole local cloud.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SHARED_DYNAMODB_ENV, ensureTable } from '../../local-cloud/dynamodb-local';

export interface SharedTable {
  /** The shared DynamoDB Local's endpoint. */
  readonly endpoint: string;
  /** `<prefix>-<random hex>`: the test's own. */
  readonly table: string;
  readonly client: DynamoDBClient;
  readonly db: DynamoDBDocumentClient;
  /** Deletes the table (errors ignored: the run's DynamoDB Local is in memory and goes with it). */
  drop(): Promise<void>;
}

export async function sharedTable(prefix: string): Promise<SharedTable> {
  const endpoint = process.env[SHARED_DYNAMODB_ENV];
  if (!endpoint) throw new Error(`${SHARED_DYNAMODB_ENV} is not set: run through jest (test/support/global-setup.ts)`);
  const table = `${prefix}-${randomBytes(4).toString('hex')}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, table);
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    table,
    client,
    db,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    },
  };
}
