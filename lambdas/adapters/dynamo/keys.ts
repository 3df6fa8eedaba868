/**
 * Every access pattern of the single table, named in one place. Every
 * partition key begins with `T#<tenantId>` so IAM `dynamodb:LeadingKeys` can
 * confine a tenant-scoped role. Tested offline in test/unit/keys.test.ts.
 */
import { isTenantId } from '../../core/ids';

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

const SEQ_WIDTH = 10;

function t(tenantId: string): string {
  if (!isTenantId(tenantId)) throw new Error(`invalid tenant id in key: ${JSON.stringify(tenantId)}`);
  return `T#${tenantId}`;
}

function safe(part: string, what: string): string {
  if (part.length === 0 || part.includes('#')) throw new Error(`invalid ${what} in key: ${JSON.stringify(part)}`);
  return part;
}

export const pad = (n: number): string => String(n).padStart(SEQ_WIDTH, '0');

export const keys = {
  tenantProfile: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'PROFILE' }),

  /** Knowledge base items of one version live in their own partition; switching version is one conditional update. */
  kbPartition: (tenantId: string, version: number): string => `${t(tenantId)}#KB#${version}`,
  kbItem: (tenantId: string, version: number, kind: 'BUSINESS' | 'HOURS' | 'SERVICE' | 'STAFF' | 'FAQ' | 'DOC' | 'PASSAGE', id = ''): Key => ({
    pk: keys.kbPartition(tenantId, version),
    sk: id ? `${kind}#${safeOrChunk(id)}` : kind,
  }),

  conversationPartition: (tenantId: string, conversationId: string): string => `${t(tenantId)}#C#${safe(conversationId, 'conversation id')}`,
  conversation: (tenantId: string, conversationId: string): Key => ({ pk: keys.conversationPartition(tenantId, conversationId), sk: 'META' }),
  message: (tenantId: string, conversationId: string, seq: number): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `MSG#${pad(seq)}`,
  }),
  messagePrefix: 'MSG#',
  clientMessage: (tenantId: string, conversationId: string, clientId: string): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `CLIENT#${safe(clientId, 'client id')}`,
  }),
  subscription: (tenantId: string, conversationId: string, connectionId: string): Key => ({
    pk: keys.conversationPartition(tenantId, conversationId),
    sk: `SUB#${safe(connectionId, 'connection id')}`,
  }),
  subscriptionPrefix: 'SUB#',
  /** GSI1: a tenant's conversations by last activity. */
  conversationsByActivity: (tenantId: string): string => `${t(tenantId)}#CONVS`,
  activitySortKey: (lastMessageAt: string, conversationId: string): string => `${lastMessageAt}#${conversationId}`,

  visitor: (tenantId: string, visitorId: string): Key => ({ pk: `${t(tenantId)}#V#${safe(visitorId, 'visitor id')}`, sk: 'VISITOR' }),
  connection: (tenantId: string, connectionId: string): Key => ({ pk: `${t(tenantId)}#CONN#${safe(connectionId, 'connection id')}`, sk: 'CONN' }),

  /** Token buckets expire by TTL once idle. */
  rateBucket: (tenantId: string, bucket: string): Key => ({ pk: `${t(tenantId)}#RL`, sk: safe(bucket, 'bucket') }),

  dailyStats: (tenantId: string, day: string): Key => ({ pk: `${t(tenantId)}#STATS`, sk: `DAY#${safe(day, 'day')}` }),
  statsEvent: (tenantId: string, eventId: string): Key => ({ pk: `${t(tenantId)}#STATS`, sk: `EVT#${safe(eventId, 'event id')}` }),
} as const;

/** Document chunk ids contain `#` (`doc#3`); within a sort key that is harmless, so only emptiness is refused. */
function safeOrChunk(id: string): string {
  if (id.length === 0) throw new Error('empty item id in key');
  return id;
}
