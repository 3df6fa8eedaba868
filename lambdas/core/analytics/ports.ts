/**
 * The ports of analytics (docs/metrics.md): where the projector writes what one event changed, where the report
 * reads it, and the knowledge-gap records (which a customer's erasure must be able to forget).
 */
import type { ConversationFacts } from './facts';
import type { GapRecord } from './gaps';

/** Everything one event changes, applied at most once per event id. */
export interface ProjectionWrite {
  readonly tenantId: string;
  readonly eventId: string;
  /** Counters added to one day (YYYY-MM-DD in the tenant's time zone). */
  readonly day?: { readonly day: string; readonly counters: Readonly<Record<string, number>> };
  /** The conversation's facts after this event, from the stored ones (read consistently, written conditionally). */
  readonly conversation?: {
    readonly conversationId: string;
    readonly startedAt: string;
    readonly update: (current: ConversationFacts | undefined) => ConversationFacts;
  };
  /** The knowledge gap after this event, from the stored one. */
  readonly gap?: { readonly gapId: string; readonly update: (current: GapRecord | undefined) => GapRecord };
}

export interface AnalyticsStore {
  /**
   * Applies one event's effects atomically, once per event id (a marker kept 30 days): true when applied, false
   * when that event id was applied before (nothing changes). Retries by itself when a fact or gap changed between
   * its read and its write.
   */
  apply(write: ProjectionWrite): Promise<boolean>;
  /** The counters of every day in [from, to] that has any (YYYY-MM-DD). */
  listDays(tenantId: string, from: string, to: string): Promise<ReadonlyMap<string, Readonly<Record<string, number>>>>;
  /** The facts of the conversations that started in [from, to) (UTC instants). */
  listConversationFacts(tenantId: string, from: string, to: string): Promise<ConversationFacts[]>;
  /**
   * Keeps the customer's latest thumbs on a bot message: true when it is new or changed (then `message.feedback`
   * is published), false when the same value was given before.
   */
  recordFeedback(tenantId: string, conversationId: string, seq: number, helpful: boolean, at: string): Promise<boolean>;
}

export interface KnowledgeGapStore {
  /** Every gap of the tenant (open, resolved and dismissed; they expire 180 days after they were last asked). */
  listGaps(tenantId: string): Promise<GapRecord[]>;
  getGap(tenantId: string, gapId: string): Promise<GapRecord | undefined>;
  /** Saves `next` when the stored gap is still at `previous.rev`; false when it changed meanwhile. */
  saveGap(tenantId: string, previous: GapRecord, next: GapRecord): Promise<boolean>;
  /**
   * A customer's erasure (core/privacy): removes these conversations from every gap, and the shown wording when it
   * came from one of them (core/analytics/gaps.ts forgetInGap). Returns how many gaps changed or were deleted.
   */
  forgetConversations(tenantId: string, conversationIds: readonly string[]): Promise<number>;
}
