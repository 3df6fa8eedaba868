/**
 * DynamoDB adapter of the identity links (core/channels/identity.ts): identity → customer items, and the
 * customer's identities and conversations in the customer's partition, beside their bookings.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { CustomerConversationRef, IdentityStore } from '../../core/channels/identity';
import type { Clock } from '../../core/ports';
import { keys } from './keys';
import { conditionalWrite, queryPartition } from './query';

const refItem = z.object({
  conversationId: z.string(),
  channel: z.enum(['web', 'whatsapp', 'sms', 'messenger']),
  identity: z.string(),
  createdAt: z.string(),
});

export class DynamoIdentityStore implements IdentityStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async getIdentityCustomer(tenantId: string, identity: string): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.channelIdentity(tenantId, identity), ConsistentRead: true }));
    return z.object({ customerKey: z.string() }).safeParse(out.Item).data?.customerKey;
  }

  async linkIdentity(tenantId: string, identity: string, customerKey: string): Promise<void> {
    const now = this.clock.now().toISOString();
    await Promise.all([
      this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.channelIdentity(tenantId, identity), tenantId, identity, customerKey, linkedAt: now } })),
      this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...keys.customerIdentity(tenantId, customerKey, identity), tenantId, identity, linkedAt: now } })),
    ]);
  }

  async addCustomerConversation(tenantId: string, customerKey: string, ref: CustomerConversationRef): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.customerConversation(tenantId, customerKey, ref.createdAt, ref.conversationId), tenantId, ...refItem.parse(ref) },
      }),
    );
  }

  async listCustomerConversations(tenantId: string, customerKey: string, limit: number): Promise<CustomerConversationRef[]> {
    const items = await queryPartition(this.db, this.tableName, keys.customerPartition(tenantId, customerKey), {
      prefix: keys.customerConversationPrefix,
      newestFirst: true,
      limit,
    });
    return items.map((item) => refItem.parse(item));
  }

  async createCustomer(tenantId: string, customerKey: string, first: { readonly identity: string; readonly conversationId: string }): Promise<boolean> {
    return conditionalWrite(this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.customerRecord(tenantId, customerKey), entity: 'Customer', tenantId, customerKey, firstIdentity: first.identity, firstConversationId: first.conversationId, createdAt: this.clock.now().toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ));
  }

  async listCustomerIdentities(tenantId: string, customerKey: string): Promise<string[]> {
    const items = await queryPartition(this.db, this.tableName, keys.customerPartition(tenantId, customerKey), { prefix: keys.customerIdentityPrefix });
    return items.map((item) => z.object({ identity: z.string() }).parse(item).identity);
  }
}
