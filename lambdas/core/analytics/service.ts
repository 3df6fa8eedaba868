/**
 * Analytics use cases behind the REST and WebSocket handlers: the report (and its CSV), knowledge gaps (list,
 * resolve with an FAQ or dismiss) and the customer's thumbs on a bot answer. They talk to ports only.
 */
import { DomainError, conflict, notFound } from '../errors';
import type { Clock, ConnectionStore, ConversationStore, EventPublisher, KnowledgeStore, TenantStore } from '../ports';
import type { AnalyticsQuery, AnalyticsReport, KnowledgeGap, ResolveGapBody } from './contract';
import { openGapsByCount, type GapRecord } from './gaps';
import type { AnalyticsStore, KnowledgeGapStore } from './ports';
import { dayIn } from './projector';
import { addDays, buildReport, daysOf, rangeInstants } from './report';

export interface AnalyticsDeps {
  readonly analytics: AnalyticsStore;
  readonly gaps: KnowledgeGapStore;
  readonly tenants: Pick<TenantStore, 'getProfile'>;
  readonly knowledge: Pick<KnowledgeStore, 'getKnowledgeBase'>;
  readonly clock: Clock;
}

/** The currency reports are in when the knowledge base names none. */
const DEFAULT_CURRENCY = 'EUR';

/** Days a report covers when the query names no range: the last 7, today included. */
export const DEFAULT_RANGE_DAYS = 7;

/**
 * The report of a range (both days inclusive, in the tenant's time zone; at most 366 days). Without a query: the
 * last DEFAULT_RANGE_DAYS days.
 */
export async function analyticsReport(deps: AnalyticsDeps, tenantId: string, asked: AnalyticsQuery | undefined): Promise<AnalyticsReport> {
  if (asked) daysOf(asked.from, asked.to); // refuses a range that is too long before anything is read
  const [profile, kb] = await Promise.all([deps.tenants.getProfile(tenantId), deps.knowledge.getKnowledgeBase(tenantId)]);
  const timezone = profile?.timezone ?? 'UTC';
  const today = dayIn(timezone, deps.clock.now());
  const query = asked ?? { from: addDays(today, 1 - DEFAULT_RANGE_DAYS), to: today };
  const range = rangeInstants(query.from, query.to, timezone);
  const [days, facts] = await Promise.all([deps.analytics.listDays(tenantId, query.from, query.to), deps.analytics.listConversationFacts(tenantId, range.from, range.to)]);
  const titles = new Map<string, string>([...(kb?.faqs ?? []).map((f): [string, string] => [f.id, f.question]), ...(kb?.documents ?? []).map((d): [string, string] => [d.id, d.title])]);
  return buildReport({
    from: query.from,
    to: query.to,
    timezone,
    currency: kb?.services[0]?.currency ?? DEFAULT_CURRENCY,
    now: deps.clock.now(),
    days,
    facts,
    titles,
  });
}

function gapView(g: GapRecord): KnowledgeGap {
  return { gapId: g.gapId, question: g.question, lang: g.lang, count: g.count, firstAskedAt: g.firstAskedAt, lastAskedAt: g.lastAskedAt, conversationIds: [...g.conversationIds] };
}

/** Open gaps, most asked first. */
export async function listOpenGaps(deps: Pick<AnalyticsDeps, 'gaps'>, tenantId: string, limit = 100): Promise<KnowledgeGap[]> {
  return openGapsByCount(await deps.gaps.listGaps(tenantId)).slice(0, limit).map(gapView);
}

const MAX_ATTEMPTS = 5;

/**
 * Closes an open gap: answered by an FAQ that exists in the current knowledge base (404 otherwise) or dismissed.
 * 404 for an unknown gap, 409 for one already closed.
 */
export async function resolveGap(
  deps: Pick<AnalyticsDeps, 'gaps' | 'knowledge' | 'clock'>,
  tenantId: string,
  gapId: string,
  body: ResolveGapBody,
  by: string,
): Promise<{ gapId: string; status: 'resolved' | 'dismissed'; faqId?: string }> {
  if ('faqId' in body) {
    const kb = await deps.knowledge.getKnowledgeBase(tenantId);
    if (!kb?.faqs.some((f) => f.id === body.faqId)) throw new DomainError('not_found', `faqId: there is no FAQ "${body.faqId}"`, 'faqId');
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const gap = await deps.gaps.getGap(tenantId, gapId);
    if (!gap) throw notFound('no such knowledge gap');
    if (gap.status !== 'open') throw conflict(`this knowledge gap is already ${gap.status}`);
    const status = 'faqId' in body ? 'resolved' : 'dismissed';
    const next: GapRecord = { ...gap, status, ...('faqId' in body ? { faqId: body.faqId } : {}), closedAt: deps.clock.now().toISOString(), closedBy: by, rev: gap.rev + 1 };
    if (await deps.gaps.saveGap(tenantId, gap, next)) return { gapId, status, ...('faqId' in body ? { faqId: body.faqId } : {}) };
  }
  throw conflict('the knowledge gap kept changing; try again');
}

export interface FeedbackDeps {
  readonly analytics: Pick<AnalyticsStore, 'recordFeedback'>;
  readonly conversations: Pick<ConversationStore, 'listMessages' | 'getConversation'>;
  readonly connections: Pick<ConnectionStore, 'getConnection'>;
  readonly events: EventPublisher;
  readonly clock: Clock;
}

/**
 * The customer's thumbs on a bot answer (WebSocket action `feedback`). The connection must be attached to the
 * conversation and `seq` must be one of its bot messages. The latest value per (conversation, seq) counts:
 * `message.feedback` is published when it is new or changed, never for a repeat of the same value.
 */
export async function giveFeedback(
  deps: FeedbackDeps,
  caller: { readonly tenantId: string; readonly connectionId: string },
  input: { readonly conversationId: string; readonly seq: number; readonly helpful: boolean },
): Promise<{ published: boolean }> {
  const connection = await deps.connections.getConnection(caller.tenantId, caller.connectionId);
  if (connection?.conversationId !== input.conversationId) throw new DomainError('bad_request', 'conversationId: not the conversation this connection is in', 'conversationId');
  const [message] = await deps.conversations.listMessages(caller.tenantId, input.conversationId, input.seq - 1, 1);
  if (!message || message.seq !== input.seq || message.role !== 'bot') throw new DomainError('bad_request', 'seq: not an answer of the assistant in this conversation', 'seq');
  const conversation = await deps.conversations.getConversation(caller.tenantId, input.conversationId);
  const at = deps.clock.now().toISOString();
  const changed = await deps.analytics.recordFeedback(caller.tenantId, input.conversationId, input.seq, input.helpful, at);
  if (changed) {
    await deps.events.publish([
      {
        type: 'message.feedback',
        tenantId: caller.tenantId,
        detail: { conversationId: input.conversationId, seq: input.seq, helpful: input.helpful, at, channel: conversation?.channel ?? 'web' },
      },
    ]);
  }
  return { published: changed };
}
