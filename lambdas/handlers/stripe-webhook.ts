/**
 * `POST /v1/webhooks/stripe/{tenantId}`: Stripe's webhook deliveries.
 *
 * The signature (`Stripe-Signature`, HMAC over the exact bytes sent) is checked on the RAW body before
 * anything else reads it — so this route does not go through the JSON-parsing REST plumbing. A verified
 * payment event becomes `payment.succeeded` / `payment.failed` on the bus (the booking workflow waits for
 * it) and the reply goes straight back: Stripe only needs a 2xx. Each Stripe event id is published once:
 * Powertools idempotency keeps a record per event id in the table, under the tenant (docs/decisions.md).
 * The signing secret is the tenant's own (its stored Stripe integration's `webhookSecret`) when it has one,
 * else the environment's `STRIPE_WEBHOOK_SECRET` — which verifies any tenant id: a verified payment event for a
 * tenant that does not exist (no profile) is not ours, so like the other events that are not ours it is
 * acknowledged (200, ignored) and nothing is published; a 4xx would only have Stripe retry it for days.
 */
import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { restRoutes, table } from '../../lib/declaration';
import { eventBridgeClient } from '../adapters/aws/clients';
import { EventBridgePublisher } from '../adapters/aws/event-publisher';
import { loadConfig } from '../adapters/config';
import { integrationSecrets, store } from '../adapters/container';
import { keys } from '../adapters/dynamo/keys';
import { constructStripeEvent, paymentOutcomeOf } from '../adapters/payments/stripe';
import type { PaymentOutcome } from '../core/booking/ports';
import { badRequest, conflict } from '../core/errors';
import { isTenantId } from '../core/ids';
import { errorResponse } from './lib/rest';
import { logger, metrics, tracer } from './lib/powertools';
import { correlation, currentCorrelationId } from './lib/correlation';

const route = restRoutes.find((r) => r.fn === 'stripeWebhook');
if (!route) throw new Error('stripeWebhook: no route in lib/declaration.ts');

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME']);
const events = new EventBridgePublisher(eventBridgeClient(config.AWS_ENDPOINT_URL_EVENTBRIDGE), config.EVENT_BUS_NAME);
const dynamo = new DynamoDBClient(config.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: config.AWS_ENDPOINT_URL_DYNAMODB, maxAttempts: 5 } : { maxAttempts: 5 });

/** Stripe retries a delivery for up to three days; a replay within a week publishes nothing. */
const idempotency = new IdempotencyConfig({ eventKeyJmesPath: 'eventId', expiresAfterSeconds: 7 * 24 * 60 * 60, throwOnNoIdempotencyKey: true });

/** Publishes one outcome; made idempotent per tenant (the records' partition key begins with the tenant). */
const publishOnce = new Map<string, (outcome: PaymentOutcome) => Promise<{ published: string }>>();
function publisherFor(tenantId: string): (outcome: PaymentOutcome) => Promise<{ published: string }> {
  let publish = publishOnce.get(tenantId);
  if (!publish) {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: config.TABLE_NAME,
      awsSdkV3Client: dynamo,
      keyAttr: table.partitionKey,
      sortKeyAttr: table.sortKey,
      staticPkValue: keys.stripeEventPartition(tenantId),
      expiryAttr: table.ttlAttribute,
    });
    publish = makeIdempotent(
      async (outcome: PaymentOutcome): Promise<{ published: string }> => {
        const type = outcome.status === 'succeeded' ? 'payment.succeeded' : 'payment.failed';
        await events.publish([
          {
            type,
            tenantId: outcome.tenantId,
            detail: {
              bookingId: outcome.bookingId,
              eventId: outcome.eventId,
              ...(outcome.paymentId ? { paymentId: outcome.paymentId } : {}),
              ...(outcome.amountCents !== undefined ? { amountCents: outcome.amountCents } : {}),
            },
          },
        ]);
        return { published: type };
      },
      { persistenceStore, config: idempotency, keyPrefix: 'stripe-event' },
    );
    publishOnce.set(tenantId, publish);
  }
  return publish;
}

const HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted && typeof v === 'string') return v;
  return undefined;
}

/** The body exactly as Stripe sent it: API Gateway base64-encodes it for binary media types. */
function rawBodyOf(event: APIGatewayProxyEvent): string | Buffer {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64') : body;
}

async function receive(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  try {
    if (event.httpMethod !== route?.method || event.resource !== route.path) throw badRequest(`no route ${event.httpMethod} ${event.resource}`);
    const tenantId = event.pathParameters?.['tenantId'] ?? '';
    if (!isTenantId(tenantId)) throw badRequest('tenantId: not a tenant id', 'tenantId');
    logger.appendKeys({ tenantId });
    // A tenant with its own Stripe account signs with its own endpoint's secret; the others with the environment's.
    const secret = (await integrationSecrets().get(tenantId, 'stripe'))?.webhookSecret ?? config.STRIPE_WEBHOOK_SECRET;
    if (!secret) throw new Error('configuration error: STRIPE_WEBHOOK_SECRET is not set and the tenant has no Stripe webhook secret');

    const stripeEvent = constructStripeEvent(rawBodyOf(event), headerOf(event, 'Stripe-Signature'), secret);
    const meaning = paymentOutcomeOf(stripeEvent, tenantId);
    if ('ignored' in meaning) {
      logger.info('ignored a Stripe event', { stripeEventId: stripeEvent.id, type: stripeEvent.type, reason: meaning.ignored });
      return { statusCode: 200, headers: HEADERS, body: JSON.stringify({ received: true, ignored: meaning.ignored }) };
    }
    // The tenant the URL names (and the metadata) must exist: else the outcome would go to no booking of anyone.
    if (!(await store().getProfile(tenantId))) {
      const ignored = 'the webhook URL names no tenant';
      logger.warn('ignored a Stripe event', { stripeEventId: stripeEvent.id, type: stripeEvent.type, reason: ignored });
      return { statusCode: 200, headers: HEADERS, body: JSON.stringify({ received: true, ignored }) };
    }
    idempotency.registerLambdaContext(context);
    try {
      const { published } = await publisherFor(tenantId)(meaning.outcome);
      logger.info('payment outcome', { stripeEventId: stripeEvent.id, bookingId: meaning.outcome.bookingId, published });
      metrics.addMetric(published === 'payment.succeeded' ? 'paymentsSucceeded' : 'paymentsFailed', 'Count', 1);
      return { statusCode: 200, headers: HEADERS, body: JSON.stringify({ received: true, event: published }) };
    } catch (error) {
      // The same event is being handled right now (Stripe delivers concurrently at times): it retries later.
      if (error instanceof IdempotencyAlreadyInProgressError) throw conflict('this Stripe event is being handled; retry later');
      throw error;
    }
  } catch (error) {
    const response = errorResponse(error, currentCorrelationId() ?? context.awsRequestId);
    if (response.statusCode === 400) logger.warn('refused a Stripe webhook delivery', { reason: response.body });
    return { ...response, headers: { ...response.headers, ...HEADERS } };
  }
}

export const handler = middy(receive)
  .use(correlation(logger))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
