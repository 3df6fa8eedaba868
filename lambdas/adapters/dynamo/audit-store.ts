/**
 * DynamoDB adapter of the audit log (core/audit.ts): one partition per tenant (`T#<tenant>#AUDIT`), sort key
 * `<at>#<auditId>` so a query reads it newest first. Append-only: entries are written with PutItem on the
 * condition that none exists with that key, and nothing here updates or deletes one (IAM denies it too).
 * Entries expire after {@link AUDIT_RETENTION_DAYS} days by the table's TTL.
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEntry, AuditLog, AuditPage, AuditQuery, AuditValue } from '../../core/audit';
import { badRequest } from '../../core/errors';
import { keys } from './keys';
import { isConditionFailure } from './query';

/** How long an entry is kept: 13 months and a bit, so a yearly review always has the whole year. */
export const AUDIT_RETENTION_DAYS = 400;
/** Items read per query page while filtering, and pages read per request at most. */
const PAGE_ITEMS = 200;
const MAX_PAGES = 10;

const auditValue: z.ZodType<AuditValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(auditValue), z.record(z.string(), auditValue)]),
);

const itemSchema = z.object({
  sk: z.string(),
  auditId: z.string(),
  tenantId: z.string(),
  at: z.string(),
  actorSub: z.string().optional(),
  actorEmail: z.string().optional(),
  actorRole: z.enum(['admin', 'agent']).optional(),
  actorSystem: z.string().optional(),
  action: z.string(),
  target: z.string(),
  outcome: z.literal('ok'),
  before: auditValue.optional(),
  after: auditValue.optional(),
  requestId: z.string().optional(),
  correlationId: z.string().optional(),
  sourceIp: z.string().optional(),
  userAgent: z.string().optional(),
});

function entryOf(item: z.infer<typeof itemSchema>): AuditEntry {
  const actor =
    item.actorSystem !== undefined
      ? { system: item.actorSystem }
      : { sub: item.actorSub ?? '', email: item.actorEmail ?? '', role: item.actorRole ?? ('agent' as const) };
  return {
    auditId: item.auditId,
    tenantId: item.tenantId,
    at: item.at,
    actor,
    action: item.action,
    target: item.target,
    outcome: item.outcome,
    summary: { ...(item.before !== undefined ? { before: item.before } : {}), ...(item.after !== undefined ? { after: item.after } : {}) },
    ...(item.requestId ? { requestId: item.requestId } : {}),
    ...(item.correlationId ? { correlationId: item.correlationId } : {}),
    ...(item.sourceIp ? { sourceIp: item.sourceIp } : {}),
    ...(item.userAgent ? { userAgent: item.userAgent } : {}),
  };
}

const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9_-]{1,64}$/;
const cursorSchema = z.object({ sk: z.string().regex(SORT_KEY), t: z.string() });

function encodeCursor(sk: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ sk, t: tenantId })).toString('base64url');
}

function decodeCursor(cursor: string, tenantId: string): string {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw badRequest('cursor: is not one this API returned', 'cursor');
  }
  if (parsed.t !== tenantId) throw badRequest('cursor: is not one this API returned', 'cursor');
  return parsed.sk;
}

/** The audit log in the single table. */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(entry: AuditEntry): Promise<'appended' | 'duplicate'> {
    const key = keys.auditEntry(entry.tenantId, entry.at, entry.auditId);
    const { actor, summary, ...rest } = entry;
    const actorAttributes = 'system' in actor ? { actorSystem: actor.system } : { actorSub: actor.sub, actorEmail: actor.email, actorRole: actor.role };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            type: 'AUDIT',
            ...rest,
            ...actorAttributes,
            ...(summary.before !== undefined ? { before: summary.before } : {}),
            ...(summary.after !== undefined ? { after: summary.after } : {}),
            expiresAt: Math.floor(Date.parse(entry.at) / 1000) + AUDIT_RETENTION_DAYS * 24 * 60 * 60,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'appended';
    } catch (error) {
      if (isConditionFailure(error)) return 'duplicate';
      throw error;
    }
  }

  async list(tenantId: string, query: AuditQuery): Promise<AuditPage> {
    const pk = keys.auditPartition(tenantId);
    const names: Record<string, string> = {};
    // Sort keys are `<at>#<id>`; an absent bound is a sentinel below / above every key. Bounds the edge did not check
    // (`+010000-…`, `-000001-…`, from after to) would reach DynamoDB reversed, which it refuses: such a range is empty.
    const lo = query.from ?? '0';
    const hi = `${query.to ?? '9999'}#\uffff`;
    if (hi < lo) return { items: [] };
    const values: Record<string, unknown> = { ':pk': pk, ':lo': lo, ':hi': hi };
    const filters: string[] = [];
    if (query.actor) {
      filters.push('(actorSub = :actor OR actorEmail = :actor OR actorEmail = :actorLower OR actorSystem = :actor)');
      values[':actor'] = query.actor;
      values[':actorLower'] = query.actor.toLowerCase();
    }
    if (query.actionPrefix) {
      filters.push('begins_with(#action, :action)');
      names['#action'] = 'action';
      values[':action'] = query.actionPrefix;
    }
    // A page goes on below its cursor (newest first). DynamoDB refuses a starting key outside the range asked for
    // (a cursor kept while the dates were changed): one above it starts at the range's top, one below it is past the end.
    const after = query.cursor ? decodeCursor(query.cursor, tenantId) : undefined;
    if (after !== undefined && after < lo) return { items: [] };
    let start: Record<string, unknown> | undefined = after !== undefined && after <= hi ? { pk, sk: after } : undefined;
    const items: AuditEntry[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: PAGE_ITEMS,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const found = (out.Items ?? []).map((i) => itemSchema.parse(i));
      for (let i = 0; i < found.length; i++) {
        const item = found[i];
        if (!item) continue;
        items.push(entryOf(item));
        if (items.length === query.limit) {
          const more = i < found.length - 1 || out.LastEvaluatedKey !== undefined;
          return more ? { items, nextCursor: encodeCursor(item.sk, tenantId) } : { items };
        }
      }
      if (!out.LastEvaluatedKey) return { items };
      start = out.LastEvaluatedKey;
    }
    // Filters left most of what was read behind: the caller continues from where this stopped.
    const sk = typeof start?.['sk'] === 'string' ? start['sk'] : undefined;
    return sk ? { items, nextCursor: encodeCursor(sk, tenantId) } : { items };
  }
}
