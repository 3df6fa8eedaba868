/**
 * The channel senders' records in the single table (keys in adapters/dynamo/keys.ts, "channel outbox and delivery"):
 * one delivery record per segment of a message (claimed with a conditional put before the provider is called;
 * status callbacks move it forward, never back), the failed deliveries list, the local channel outbox, and SMS
 * opt-outs. Addresses on delivery records are masked; only the outbox (messages "sent" without a provider) keeps
 * the full address and text, as the local stand-in of the provider, and expires after 30 days.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  deliveryStatuses,
  statusRank,
  type DeliveryProvider,
  type DeliveryRecord,
  type DeliveryRef,
  type DeliveryStatus,
  type DeliveryStore,
} from '../../core/channels/outbound';
import type { OptOutRecord, OptOutStore } from '../../core/channels/policy';
import { sendKinds } from '../../core/channels/policy';
import { outboundChannels } from '../../core/channels/format';
import type { Clock } from '../../core/ports';
import { keys } from '../dynamo/keys';
import { conditionalWrite, isConditionFailure, queryPartition } from '../dynamo/query';

const OUTBOX_TTL_SECONDS = 30 * 24 * 60 * 60;
const FAILURE_TTL_SECONDS = 90 * 24 * 60 * 60;

const deliveryItem = z.object({
  tenantId: z.string(),
  conversationId: z.string(),
  seq: z.number().int(),
  segment: z.number().int(),
  segments: z.number().int(),
  channel: z.enum(outboundChannels),
  kind: z.enum(sendKinds),
  status: z.enum(deliveryStatuses),
  to: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  attemptId: z.string(),
  provider: z.enum(['twilio', 'meta', 'outbox']).optional(),
  providerMessageId: z.string().optional(),
  errorCode: z.string().optional(),
  reason: z.string().optional(),
  via: z.string().optional(),
});

/** A message kept in the local channel outbox instead of going to a provider. */
export const channelOutboxItem = z.object({
  id: z.string(),
  createdAt: z.string(),
  tenantId: z.string(),
  conversationId: z.string(),
  seq: z.number().int(),
  segment: z.number().int(),
  channel: z.enum(outboundChannels),
  kind: z.enum(sendKinds),
  /** The full address: the simulator shows an identity its messages. */
  to: z.string(),
  text: z.string(),
  buttons: z.array(z.object({ title: z.string(), payload: z.string() })).optional(),
  template: z.object({ contentSid: z.string(), variables: z.record(z.string(), z.string()) }).optional(),
  tag: z.string().optional(),
});
export type ChannelOutboxMessage = z.infer<typeof channelOutboxItem>;

const optOutItem = z.object({ address: z.string(), optedOut: z.boolean(), at: z.string(), keyword: z.string() });

export class DynamoChannelStore implements DeliveryStore, OptOutStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  private epochSeconds(offset: number): number {
    return Math.floor(this.clock.now().getTime() / 1000) + offset;
  }

  private key(ref: DeliveryRef) {
    return keys.channelDelivery(ref.tenantId, ref.conversationId, ref.seq, ref.segment);
  }

  // ---- deliveries ----------------------------------------------------------------------------

  async claim(record: DeliveryRecord): Promise<boolean> {
    return conditionalWrite(this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...this.key(record), ...deliveryItem.parse(record), statusRank: statusRank[record.status] },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ));
  }

  async release(ref: DeliveryRef, attemptId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          ConditionExpression: 'attemptId = :a AND #s = :sending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':a': attemptId, ':sending': 'sending' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async markAccepted(ref: DeliveryRef, update: { provider: DeliveryProvider; providerMessageId: string; status: DeliveryStatus }): Promise<void> {
    // A status callback may have arrived first (it carries the same message id): only move forward.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          UpdateExpression: 'SET provider = :p, providerMessageId = :id, #s = :s, statusRank = :r, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND statusRank < :r',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':p': update.provider,
            ':id': update.providerMessageId,
            ':s': update.status,
            ':r': statusRank[update.status],
            ':at': this.clock.now().toISOString(),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          UpdateExpression: 'SET provider = :p, providerMessageId = :id',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':p': update.provider, ':id': update.providerMessageId },
        }),
      );
    }
  }

  async markFailed(record: DeliveryRecord, update: { errorCode: string; reason: string }): Promise<void> {
    const at = this.clock.now().toISOString();
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(record),
        UpdateExpression: 'SET #s = :s, statusRank = :r, errorCode = :c, reason = :reason, updatedAt = :at',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'failed', ':r': statusRank.failed, ':c': update.errorCode, ':reason': update.reason.slice(0, 300), ':at': at },
      }),
    );
    await this.recordFailure({ ...record, status: 'failed', errorCode: update.errorCode, reason: update.reason.slice(0, 300), updatedAt: at });
  }

  async recordFailure(record: DeliveryRecord): Promise<void> {
    const at = record.updatedAt;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.channelFailure(record.tenantId, at, record.conversationId, record.seq, record.segment),
          ...deliveryItem.parse(record),
          expiresAt: this.epochSeconds(FAILURE_TTL_SECONDS),
        },
      }),
    );
  }

  async applyStatus(
    ref: DeliveryRef,
    update: { providerMessageId: string; status: DeliveryStatus; errorCode?: string; at: string },
  ): Promise<'updated' | 'unchanged' | 'unknown'> {
    const rank = statusRank[update.status];
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(ref),
          UpdateExpression: `SET #s = :s, statusRank = :r, updatedAt = :at, providerMessageId = :id${update.errorCode ? ', errorCode = :c' : ''}`,
          // The delivery exists, is this provider message (or still waiting for the provider's answer), and moves forward.
          ConditionExpression: 'attribute_exists(pk) AND (providerMessageId = :id OR attribute_not_exists(providerMessageId)) AND statusRank < :r',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':s': update.status,
            ':r': rank,
            ':at': update.at,
            ':id': update.providerMessageId,
            ...(update.errorCode ? { ':c': update.errorCode } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await this.getDelivery(ref);
      if (!current || (current.providerMessageId && current.providerMessageId !== update.providerMessageId)) return 'unknown';
      return 'unchanged';
    }
    if (update.status === 'failed' || update.status === 'undelivered') {
      const current = await this.getDelivery(ref);
      if (current) await this.recordFailure({ ...current, reason: current.reason ?? `provider reported ${update.status}` });
    }
    return 'updated';
  }

  async getDelivery(ref: DeliveryRef): Promise<DeliveryRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: this.key(ref), ConsistentRead: true }));
    return out.Item ? deliveryItem.parse(out.Item) : undefined;
  }

  async listDeliveries(tenantId: string, conversationId: string): Promise<DeliveryRecord[]> {
    const items = await queryPartition(this.db, this.tableName, keys.conversationPartition(tenantId, conversationId), {
      prefix: keys.channelDeliveryPrefix,
      consistent: true,
    });
    return items.map((item) => deliveryItem.parse(item));
  }

  /** Failed and parked deliveries, newest first. */
  async listFailures(tenantId: string, limit: number): Promise<DeliveryRecord[]> {
    const items = await queryPartition(this.db, this.tableName, keys.channelFailurePartition(tenantId), { newestFirst: true, limit, consistent: true });
    return items.map((item) => deliveryItem.parse(item));
  }

  // ---- the local channel outbox ----------------------------------------------------------------

  async putOutboxMessage(message: ChannelOutboxMessage): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.channelOutboxMessage(message.tenantId, message.createdAt, message.id), ...channelOutboxItem.parse(message), expiresAt: this.epochSeconds(OUTBOX_TTL_SECONDS) },
      }),
    );
  }

  /** Newest first; only the messages to `to` when given (the channel simulator's identity). */
  async listOutbox(tenantId: string, options: { readonly limit: number; readonly to?: string; readonly channel?: string }): Promise<ChannelOutboxMessage[]> {
    const wanted = (m: ChannelOutboxMessage) => (!options.to || m.to === options.to) && (!options.channel || m.channel === options.channel);
    const scanLimit = options.to || options.channel ? Math.max(options.limit, 500) : options.limit;
    const items = await queryPartition(this.db, this.tableName, keys.channelOutboxPartition(tenantId), { newestFirst: true, limit: scanLimit, consistent: true });
    return items
      .map((item) => channelOutboxItem.parse(item))
      .filter(wanted)
      .slice(0, options.limit);
  }

  // ---- SMS opt-outs ----------------------------------------------------------------------------

  async getOptOut(tenantId: string, address: string): Promise<OptOutRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.smsOptOut(tenantId, address), ConsistentRead: true }));
    return out.Item ? optOutItem.parse(out.Item) : undefined;
  }

  async putOptOut(tenantId: string, record: OptOutRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.smsOptOut(tenantId, record.address), ...optOutItem.parse(record) } }));
  }
}
