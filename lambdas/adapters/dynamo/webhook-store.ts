/**
 * `WebhookStore` on the single table (keys in adapters/dynamo/keys.ts, "outbound webhooks"): one item per
 * subscription, its signing secret sealed by the integrations' SecretCipher (KMS envelope in AWS, AES-256-GCM
 * locally) under the context {tenantId, provider: `webhook:<id>`}, so a ciphertext copied to another subscription
 * or tenant does not open; and one item per delivery, claimed with a conditional update and listed by status
 * through GSI1 (`failed`: the dead-letter view). Deliveries expire after 30 days; a delivered one keeps no payload.
 * Decrypted secrets are cached in memory for 60 s (dropped on delete in this process).
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { SecretCipher } from '../../core/integrations';
import type { Clock } from '../../core/ports';
import { webhookEventSchema, webhookEventTypes } from '../../core/webhooks/events';
import { deliveryStatuses, type WebhookDelivery, type WebhookDeliveryStatus, type WebhookStore, type WebhookSubscription } from '../../core/webhooks/service';
import { keys } from './keys';
import { isConditionFailure, queryPartition } from './query';

const DELIVERY_TTL_SECONDS = 30 * 24 * 60 * 60;
const SECRET_CACHE_MS = 60_000;

const subscriptionItem = z.object({
  tenantId: z.string(),
  webhookId: z.string(),
  url: z.string(),
  events: z.array(z.enum(webhookEventTypes)),
  description: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  secretLast4: z.string(),
});

const deliveryItem = z.object({
  tenantId: z.string(),
  deliveryId: z.string(),
  eventId: z.string(),
  eventType: webhookEventSchema.shape.type,
  target: z.enum(['webhook', 'hubspot']),
  webhookId: z.string().optional(),
  url: z.string().optional(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int(),
  statusCode: z.number().int().optional(),
  error: z.string().optional(),
  responseMs: z.number().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Stored as JSON text: the event's `data` is open-ended. */
  payload: z
    .string()
    .transform((s) => webhookEventSchema.parse(JSON.parse(s)))
    .optional(),
});

const contextOf = (tenantId: string, webhookId: string): Record<string, string> => ({ tenantId, provider: `webhook:${webhookId}` });

export class DynamoWebhookStore implements WebhookStore {
  private readonly secrets = new Map<string, { readonly secret: string; readonly until: number }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly cipher: SecretCipher,
    private readonly clock: Clock,
  ) {}

  // ---- subscriptions -------------------------------------------------------------------------

  async putSubscription(subscription: WebhookSubscription, secret: string): Promise<void> {
    const ciphertext = await this.cipher.encrypt(secret, contextOf(subscription.tenantId, subscription.webhookId));
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.webhookSubscription(subscription.tenantId, subscription.webhookId), entity: 'WebhookSubscription', ...subscriptionItem.parse(subscription), ciphertext },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async listSubscriptions(tenantId: string): Promise<WebhookSubscription[]> {
    const items = await queryPartition(this.db, this.tableName, keys.webhookPartition(tenantId), { prefix: keys.webhookSubscriptionPrefix, consistent: true });
    return items.map((item) => subscriptionItem.parse(item)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async getSubscription(tenantId: string, webhookId: string): Promise<WebhookSubscription | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.webhookSubscription(tenantId, webhookId), ConsistentRead: true }));
    return out.Item ? subscriptionItem.parse(out.Item) : undefined;
  }

  async deleteSubscription(tenantId: string, webhookId: string): Promise<boolean> {
    const out = await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.webhookSubscription(tenantId, webhookId), ReturnValues: 'ALL_OLD' }));
    this.secrets.delete(`${tenantId}\u0000${webhookId}`);
    return out.Attributes !== undefined;
  }

  async signingSecret(tenantId: string, webhookId: string): Promise<string | undefined> {
    const cacheKey = `${tenantId}\u0000${webhookId}`;
    const now = this.clock.now().getTime();
    const hit = this.secrets.get(cacheKey);
    if (hit && hit.until > now) return hit.secret;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.webhookSubscription(tenantId, webhookId), ConsistentRead: true }));
    const ciphertext = z.object({ ciphertext: z.string().min(1) }).safeParse(out.Item).data?.ciphertext;
    if (!ciphertext) return undefined;
    const secret = await this.cipher.decrypt(ciphertext, contextOf(tenantId, webhookId));
    if (this.secrets.size > 500) this.secrets.clear();
    this.secrets.set(cacheKey, { secret, until: now + SECRET_CACHE_MS });
    return secret;
  }

  // ---- deliveries ----------------------------------------------------------------------------

  private itemOf(record: WebhookDelivery): Record<string, unknown> {
    const { payload, ...rest } = record;
    return {
      ...keys.webhookDelivery(record.tenantId, record.deliveryId),
      entity: 'WebhookDelivery',
      ...rest,
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
      gsi1pk: keys.webhookDeliveriesByStatus(record.tenantId, record.status),
      gsi1sk: keys.webhookDeliverySortKey(record.updatedAt, record.deliveryId),
      expiresAt: Math.floor(this.clock.now().getTime() / 1000) + DELIVERY_TTL_SECONDS,
    };
  }

  async claimDelivery(record: WebhookDelivery, staleBefore: string): Promise<WebhookDelivery | undefined> {
    // Everything of the claim, except what an earlier failed try already knows: its tries and its payload.
    const { tenantId, deliveryId, attempts, payload, createdAt, ...fields } = record;
    const set: Record<string, unknown> = {
      ...fields,
      status: 'sending',
      gsi1pk: keys.webhookDeliveriesByStatus(tenantId, 'sending'),
      gsi1sk: keys.webhookDeliverySortKey(record.updatedAt, deliveryId),
      expiresAt: Math.floor(this.clock.now().getTime() / 1000) + DELIVERY_TTL_SECONDS,
    };
    const names: Record<string, string> = { '#s': 'status', '#u': 'updatedAt', '#a': 'attempts', '#c': 'createdAt', '#p': 'payload', '#t': 'tenantId', '#d': 'deliveryId' };
    const values: Record<string, unknown> = {
      ':failed': 'failed',
      ':sending': 'sending',
      ':stale': staleBefore,
      ':attempts': attempts,
      ':createdAt': createdAt,
      ':tenantId': tenantId,
      ':deliveryId': deliveryId,
      ...(payload ? { ':payload': JSON.stringify(payload) } : {}),
    };
    const assignments = ['#a = if_not_exists(#a, :attempts)', '#c = if_not_exists(#c, :createdAt)', '#t = :tenantId', '#d = :deliveryId'];
    if (payload) assignments.push('#p = if_not_exists(#p, :payload)');
    Object.entries(set).forEach(([name, value], i) => {
      if (value === undefined) return;
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      assignments.push(`#f${i} = :f${i}`);
    });
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.webhookDelivery(tenantId, deliveryId),
          UpdateExpression: `SET ${assignments.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(pk) OR #s = :failed OR (#s = :sending AND #u < :stale)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return deliveryItem.parse(out.Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async finishDelivery(record: WebhookDelivery): Promise<void> {
    const kept = record.status === 'delivered' ? { ...record, payload: undefined } : record;
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: this.itemOf(kept) }));
  }

  async getDelivery(tenantId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.webhookDelivery(tenantId, deliveryId), ConsistentRead: true }));
    return out.Item ? deliveryItem.parse(out.Item) : undefined;
  }

  async listDeliveries(tenantId: string, status: WebhookDeliveryStatus, limit: number): Promise<WebhookDelivery[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.webhookDeliveriesByStatus(tenantId, status) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => deliveryItem.parse(item));
  }
}
