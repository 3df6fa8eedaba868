/**
 * What the Twilio and Meta webhook functions share: the raw body and headers of an API Gateway event, and
 * publishing each inbound message once (Powertools idempotency on the
 * table, records under the tenant's `CHANNEL-EVENT` partition, keyed by the provider's message id).
 *
 * Refusals are consistent across providers: a missing or forged signature (or a tenant without a secret) is
 * 403 `forbidden` before anything is parsed; a verified delivery to a URL naming no tenant (no profile) is 404
 * `not_found` — refused at the edge, never published for the consumer to fail on; a verified but malformed
 * payload is 400 `bad_request` naming the field; a message being handled concurrently is 409 (the provider
 * retries). See docs/decisions.md.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { table } from '../../../lib/declaration';
import { eventBridgeClient } from '../../adapters/aws/clients';
import { EventBridgePublisher } from '../../adapters/aws/event-publisher';
import { loadConfig } from '../../adapters/config';
import { store } from '../../adapters/container';
import { keys } from '../../adapters/dynamo/keys';
import type { InboundMessage } from '../../core/channels/inbound';
import { conflict, notFound } from '../../core/errors';

export const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;
export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', ...NO_STORE } as const;

/** A header, whatever its case (API Gateway keeps the sender's case). */
export function headerOf(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && typeof v === 'string') return v;
  return undefined;
}

/** The body exactly as the provider sent it: API Gateway base64-encodes it for binary media types. */
export function rawBodyOf(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>): Buffer {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME']);
const events = new EventBridgePublisher(eventBridgeClient(config.AWS_ENDPOINT_URL_EVENTBRIDGE), config.EVENT_BUS_NAME);
const dynamo = new DynamoDBClient(config.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: config.AWS_ENDPOINT_URL_DYNAMODB, maxAttempts: 5 } : { maxAttempts: 5 });

/**
 * Meta retries a failed delivery for up to a day or so; Twilio, by default, retries only a connection that failed,
 * not an error answer (so an inbound message answered 5xx is lost on Twilio's side). A replay within a week
 * publishes nothing.
 */
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'providerMessageId', expiresAfterSeconds: 7 * 24 * 60 * 60, throwOnNoIdempotencyKey: true });

type Publish = (message: InboundMessage) => Promise<unknown>;
const publishers = new Map<string, Publish>();
/** The messages this invocation published (a replay returns the stored result without calling the function). */
const fresh = new WeakSet<InboundMessage>();

/** Publishes `channel.message.received` once per provider message id and tenant; false for a replay. */
export async function publishOnce(message: InboundMessage, context: Context): Promise<boolean> {
  let publish = publishers.get(message.tenantId);
  if (!publish) {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: config.TABLE_NAME,
      awsSdkV3Client: dynamo,
      keyAttr: table.partitionKey,
      sortKeyAttr: table.sortKey,
      staticPkValue: keys.channelEventPartition(message.tenantId),
      expiryAttr: table.ttlAttribute,
    });
    publish = makeIdempotent(
      async (m: InboundMessage): Promise<{ published: true }> => {
        const { tenantId, ...detail } = m;
        await events.publish([{ type: 'channel.message.received', tenantId, detail }]);
        fresh.add(m);
        return { published: true };
      },
      { persistenceStore, config: idempotency, keyPrefix: 'channel-message' },
    );
    publishers.set(message.tenantId, publish);
  }
  idempotency.registerLambdaContext(context);
  try {
    await publish(message);
    return fresh.has(message);
  } catch (error) {
    // The same message is being handled right now (a provider retry racing the first delivery): it retries later.
    if (error instanceof IdempotencyAlreadyInProgressError) throw conflict('this message is being handled; retry later');
    throw error;
  }
}

/**
 * Refuses (404 `not_found`) a webhook URL whose tenant has no profile. The environment's credentials verify any
 * tenant id, so a verified delivery can still name no tenant: published, it would fail in the consumer ("unknown
 * tenant"), be retried and dead-lettered.
 */
export async function tenantMustExist(tenantId: string): Promise<void> {
  if (!(await tenantExists(tenantId))) throw notFound(`no tenant ${tenantId}: this webhook URL names no tenant`);
}

/** Whether the tenant has a profile (before a signature could be checked, only to decide whether to log). */
export async function tenantExists(tenantId: string): Promise<boolean> {
  return (await store().getProfile(tenantId)) !== undefined;
}

/** Adds the no-store headers to a response made by the shared error mapping. */
export function withHeaders(response: APIGatewayProxyResult): APIGatewayProxyResult {
  return { ...response, headers: { ...response.headers, ...JSON_HEADERS } };
}
