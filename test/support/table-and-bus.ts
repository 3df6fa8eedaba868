/**
 * What the webhook integration tests stand on: DynamoDB Local with the declared table, a document client, and
 * the local EventBridge bus applying the declared rules — with every entry put on it recorded and the rules'
 * targets inert (what they do is tested elsewhere), so a test sees exactly what a handler published.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventRules } from '../../lib/declaration';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { LocalEventBus, type PutEventsEntry } from '../../local-cloud/event-bus';

export interface TableAndBus {
  readonly ddb: DynamoDbLocalHandle;
  readonly doc: DynamoDBDocumentClient;
  readonly bus: LocalEventBus;
  /** Every entry put on the bus, oldest first. */
  readonly published: PutEventsEntry[];
}

/** `published` collects the bus's entries (pass the test's own array to keep a module-level reference). */
export async function startTableAndBus(table: string, busName: string, published: PutEventsEntry[] = []): Promise<TableAndBus> {
  const ddb = await startDynamoDbLocal({ port: 0 });
  const client = new DynamoDBClient({ endpoint: ddb.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, table);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const bus = new LocalEventBus(eventRules, { toFunction: async () => ({}), toStateMachine: async () => undefined }, { eventBusName: busName });
  const putEvents = bus.putEvents.bind(bus);
  bus.putEvents = (entries) => {
    published.push(...entries);
    return putEvents(entries);
  };
  return { ddb, doc, bus, published };
}
