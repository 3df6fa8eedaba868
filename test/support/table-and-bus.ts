/**
 * What the webhook integration tests stand on: DynamoDB Local with the declared table, a document client, and
 * the local EventBridge bus applying the declared rules — with every entry put on it recorded and the rules'
 * targets inert (what they do is tested elsewhere), so a test sees exactly what a handler published.
 */
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { eventRules, type FunctionName } from '../../lib/declaration';
import { DynamoStore } from '../../lambdas/adapters/dynamo/store';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocalHandle } from '../../local-cloud/dynamodb-local';
import { LocalEventBus, type PutEventsEntry } from '../../local-cloud/event-bus';
import { LocalGateway, type PageMount } from '../../local-cloud/gateway';
import { LambdaRuntime } from '../../local-cloud/lambda-runtime';
import { tenantProfile } from './profiles';

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

/**
 * Gives each tenant a profile, as provisioning does: the webhooks answer 404 for a tenant without one (a URL naming
 * no tenant is refused at the edge, not published to fail later in the consumer).
 */
export async function putTenantProfiles(doc: DynamoDBDocumentClient, table: string, tenantIds: readonly string[]): Promise<void> {
  const store = new DynamoStore(doc, table, { now: () => new Date() });
  for (const tenantId of tenantIds) await store.putProfile(tenantProfile(tenantId));
}

export interface WebhookHandlers extends TableAndBus {
  /** The local gateway serving the declared public routes; only `functions` are invoked behind it. */
  readonly gateway: LocalGateway;
  readonly runtime: LambdaRuntime;
  /** Drains the bus, stops the gateway and DynamoDB Local. */
  stop(): Promise<void>;
}

/**
 * What the provider-webhook tests stand on: {@link startTableAndBus}, the local Lambda runtime running the real
 * handler modules of `functions` (any other function behind a route is refused), and the local gateway in front of
 * them with the bus's AWS JSON endpoint. The handlers' environment is set before they first load, as a cold start
 * would read it: the table, the bus and their endpoints, plus `env` (secrets, tokens). `pages` are mounted on the
 * gateway (given its URL, for pages that post back to it).
 */
export async function startWebhookHandlers(options: {
  readonly table: string;
  readonly busName: string;
  readonly functions: readonly FunctionName[];
  readonly env: Readonly<Record<string, string>>;
  readonly published?: PutEventsEntry[];
  readonly pages?: (gatewayUrl: () => string) => readonly PageMount[];
}): Promise<WebhookHandlers> {
  const base = await startTableAndBus(options.table, options.busName, options.published);
  const runtime = new LambdaRuntime(resolve(__dirname, '..', '..'));
  const served = new Set<FunctionName>(options.functions);
  const gateway: LocalGateway = new LocalGateway({
    port: 0,
    invoke: (fn, event) => (served.has(fn) ? runtime.invoke(fn, event) : Promise.reject(new Error(`${fn} is not under test`))),
    awsJson: { AWSEvents: (target, body) => base.bus.handleAwsJson(target, body) },
    statics: [],
    ...(options.pages ? { pages: options.pages(() => gateway.url) } : {}),
    log: () => undefined,
  });
  await gateway.start();
  Object.assign(process.env, {
    TABLE_NAME: options.table,
    EVENT_BUS_NAME: options.busName,
    AWS_ENDPOINT_URL_DYNAMODB: base.ddb.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: gateway.url,
    ...options.env,
  });
  return {
    ...base,
    gateway,
    runtime,
    stop: async () => {
      await base.bus.drain();
      await gateway.stop();
      await base.ddb.stop();
    },
  };
}
