/**
 * DynamoDB adapter of the analytics ports (core/analytics/ports.ts) over the single table.
 *
 * Items (key shapes in keys.ts):
 * - day counters `T#t#STATS` / `DAY#<day>` (numeric attributes, `ADD`ed) and one marker per applied event id
 *   `T#t#STATS` / `EVT#<id>` (TTL 30 days) — the same items the daily stats always used;
 * - one facts item per conversation `T#t#STATS` / `CONV#<start>#<conversationId>` (optimistic `rev`);
 * - knowledge gaps `T#t#GAPS` / `GAP#<gapId>` (optimistic `rev`, TTL 180 days after the last asking);
 * - the customer's latest thumbs on a bot message, beside the message: `T#t#C#<id>` / `FEEDBACK#<seq>`.
 *
 * One event is one transaction: the marker (only if absent), the day's counters, the facts and the gap, so a
 * replayed event changes nothing and a crash never leaves half an event counted.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { conversationFactsSchema, type ConversationFacts } from '../../core/analytics/facts';
import { forgetInGap, GAP_TTL_DAYS, gapRecordSchema, type GapRecord } from '../../core/analytics/gaps';
import type { AnalyticsStore, KnowledgeGapStore, ProjectionWrite } from '../../core/analytics/ports';
import type { Clock } from '../../core/ports';
import { keys } from './keys';
import { conditionalWrite, isConditionFailure, queryPartition } from './query';

/** How long an applied event id is remembered (EventBridge retries for at most 24 h; replays come within days). */
const EVENT_MARKER_TTL_SECONDS = 30 * 24 * 3600;
const MAX_ATTEMPTS = 8;
/** Counter names: printable, no control characters, bounded. */
const COUNTER_NAME = /^[^\p{Cc}]{1,200}$/u;

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, expiresAt: _exp, ...rest } = item;
  return rest;
}

export class DynamoAnalyticsStore implements AnalyticsStore, KnowledgeGapStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  private epochSeconds(offset: number): number {
    return Math.floor(this.clock.now().getTime() / 1000) + offset;
  }

  private gapExpiry(gap: GapRecord): number {
    return Math.floor(Date.parse(gap.lastAskedAt) / 1000) + GAP_TTL_DAYS * 24 * 3600;
  }

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  // ---- AnalyticsStore --------------------------------------------------------------------------

  async apply(write: ProjectionWrite): Promise<boolean> {
    const { tenantId } = write;
    const marker = keys.statsEvent(tenantId, write.eventId);
    const counters = Object.entries(write.day?.counters ?? {}).filter(([name, value]) => COUNTER_NAME.test(name) && Number.isFinite(value) && value !== 0);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const items: TransactItems = [
        { Put: { TableName: this.tableName, Item: { ...marker, expiresAt: this.epochSeconds(EVENT_MARKER_TTL_SECONDS) }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ];
      if (write.day && counters.length > 0) {
        items.push({
          Update: {
            TableName: this.tableName,
            Key: keys.dailyStats(tenantId, write.day.day),
            UpdateExpression: `ADD ${counters.map((_, i) => `#c${i} :v${i}`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(counters.map(([name], i) => [`#c${i}`, name])),
            ExpressionAttributeValues: Object.fromEntries(counters.map(([, value], i) => [`:v${i}`, value])),
          },
        });
      }
      if (write.conversation) {
        const key = keys.analyticsConversation(tenantId, write.conversation.startedAt, write.conversation.conversationId);
        const stored = await this.get(key);
        const current = stored ? conversationFactsSchema.parse(stored) : undefined;
        const next: ConversationFacts = { ...write.conversation.update(current), rev: (current?.rev ?? 0) + 1 };
        items.push({ Put: { TableName: this.tableName, Item: { ...next, ...key }, ...this.revCondition(current?.rev) } });
      }
      if (write.gap) {
        const key = keys.gap(tenantId, write.gap.gapId);
        const stored = await this.get(key);
        const current = stored ? gapRecordSchema.parse(stored) : undefined;
        const next: GapRecord = { ...write.gap.update(current), rev: (current?.rev ?? 0) + 1 };
        items.push({ Put: { TableName: this.tableName, Item: { ...next, ...key, expiresAt: this.gapExpiry(next) }, ...this.revCondition(current?.rev) } });
      }
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return false; // this event id was applied before
        // A fact or gap changed between read and write, or a concurrent transaction: read again.
        await sleep(5 + Math.random() * 10 * 2 ** attempt);
      }
    }
    throw new Error(`analytics event ${write.eventId} kept conflicting; it will be retried`);
  }

  private revCondition(rev: number | undefined): { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> } {
    return rev === undefined ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': rev } };
  }

  async listDays(tenantId: string, from: string, to: string): Promise<ReadonlyMap<string, Readonly<Record<string, number>>>> {
    const lower = keys.dailyStats(tenantId, from);
    const upper = keys.dailyStats(tenantId, to);
    const days = new Map<string, Record<string, number>>();
    if (upper.sk < lower.sk) return days; // DynamoDB refuses reversed BETWEEN bounds: an empty range
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': lower.pk, ':from': lower.sk, ':to': upper.sk },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const day = typeof item['sk'] === 'string' ? item['sk'].slice('DAY#'.length) : '';
        const counters: Record<string, number> = {};
        for (const [name, value] of Object.entries(item)) if (typeof value === 'number') counters[name] = value;
        days.set(day, counters);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return days;
  }

  async listConversationFacts(tenantId: string, from: string, to: string): Promise<ConversationFacts[]> {
    const pk = keys.dailyStats(tenantId, 'x').pk;
    const prefix = keys.analyticsConversationPrefix;
    const facts: ConversationFacts[] = [];
    // Instants compare as their sort keys do only with four-digit years (`+010000-…` sorts below `9999-…`): a range
    // that is empty, or whose bounds would sort reversed, reads nothing (DynamoDB refuses reversed BETWEEN bounds).
    if (!(from < to)) return facts;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          // `CONV#<to>` sorts before every `CONV#<to>#<id>`: a conversation starting exactly at `to` is outside.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': `${prefix}${from}`, ':to': `${prefix}${to}` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const parsed = conversationFactsSchema.safeParse(strip(item));
        if (parsed.success) facts.push(parsed.data);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return facts;
  }

  async recordFeedback(tenantId: string, conversationId: string, seq: number, helpful: boolean, at: string): Promise<boolean> {
    return conditionalWrite(this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.messageFeedback(tenantId, conversationId, seq), helpful, at },
        ConditionExpression: 'attribute_not_exists(pk) OR helpful <> :helpful',
        ExpressionAttributeValues: { ':helpful': helpful },
      }),
    ));
  }

  // ---- KnowledgeGapStore -----------------------------------------------------------------------

  async listGaps(tenantId: string): Promise<GapRecord[]> {
    const items = await queryPartition(this.db, this.tableName, keys.gapPartition(tenantId), { prefix: keys.gapPrefix });
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return items.flatMap((item) => {
      // TTL deletion is lazy: an expired gap is gone already as far as anyone can tell.
      if (typeof item['expiresAt'] === 'number' && item['expiresAt'] <= now) return [];
      const parsed = gapRecordSchema.safeParse(strip(item));
      return parsed.success ? [parsed.data] : [];
    });
  }

  async getGap(tenantId: string, gapId: string): Promise<GapRecord | undefined> {
    const item = await this.get(keys.gap(tenantId, gapId));
    return item ? gapRecordSchema.parse(strip(item)) : undefined;
  }

  async saveGap(tenantId: string, previous: GapRecord, next: GapRecord): Promise<boolean> {
    return conditionalWrite(this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...next, ...keys.gap(tenantId, next.gapId), expiresAt: this.gapExpiry(next) }, ...this.revCondition(previous.rev) }),
    ));
  }

  async forgetConversations(tenantId: string, conversationIds: readonly string[]): Promise<number> {
    const forgotten = new Set(conversationIds);
    if (forgotten.size === 0) return 0;
    let changed = 0;
    for (const listed of await this.listGaps(tenantId)) {
      let gap: GapRecord | undefined = listed;
      for (let attempt = 0; gap && attempt < MAX_ATTEMPTS; attempt++) {
        const next = forgetInGap(gap, forgotten);
        if (next === gap) break;
        const key = keys.gap(tenantId, gap.gapId);
        try {
          if (next) await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...next, ...key, expiresAt: this.gapExpiry(next) }, ...this.revCondition(gap.rev) }));
          else await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key, ...this.revCondition(gap.rev) }));
          changed++;
          break;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          gap = await this.getGap(tenantId, gap.gapId); // asked again meanwhile: forget in the fresh one
        }
      }
    }
    return changed;
  }
}
