/**
 * The analytics API's shapes, shared by the REST handler (lambdas/handlers/analytics-api.ts),
 * the admin UI (frontend/src/pages/analytics) and docs/openapi.yaml. Every metric is defined
 * in docs/metrics.md; the schema is the type.
 */
import { z } from 'zod';
import { calendarDateSchema, dayNumber } from '../dates';

/** A day as YYYY-MM-DD that exists, in core/dates.ts's years (a day after `to` and local midnights stay four-digit years). */
const day = calendarDateSchema;

/** `GET /v1/admin/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD` (both inclusive, in the tenant's time zone; at most 366 days). */
export const analyticsQuerySchema = z
  .object({ from: day, to: day })
  .refine((q) => dayNumber(q.from) <= dayNumber(q.to), { message: 'must not be after to', path: ['from'] });
export type AnalyticsQuery = z.infer<typeof analyticsQuerySchema>;

/** The counters of one day (or of the whole range, summed). Absent counters are 0. */
export const dayMetricsSchema = z.object({
  /** Conversations started, in total and per channel (web, whatsapp, sms, messenger). */
  conversations: z.number().int().nonnegative(),
  conversationsByChannel: z.record(z.string(), z.number().int().nonnegative()),
  /** Customer messages received, in total and per channel. */
  messages: z.number().int().nonnegative(),
  messagesByChannel: z.record(z.string(), z.number().int().nonnegative()),
  /** Bot replies that answered from the knowledge base / that could not. */
  answered: z.number().int().nonnegative(),
  unanswered: z.number().int().nonnegative(),
  /** The concierge's resolutions (docs/metrics.md), never a handed-off conversation: confirmed = the customer said it helped; assumed = no follow-up within 24 h. */
  resolvedConfirmed: z.number().int().nonnegative(),
  resolvedAssumed: z.number().int().nonnegative(),
  /** Conversations handed to a person, and why. */
  handoffs: z.number().int().nonnegative(),
  handoffReasons: z.record(z.string(), z.number().int().nonnegative()),
  /** Sum and count of the bot's first reply delay per conversation, and of every bot reply (milliseconds). */
  firstResponseMsSum: z.number().nonnegative(),
  firstResponseCount: z.number().int().nonnegative(),
  responseMsSum: z.number().nonnegative(),
  responseCount: z.number().int().nonnegative(),
  /** Sum and count of the time from a handoff request to a person accepting it (milliseconds). */
  humanAcceptMsSum: z.number().nonnegative(),
  humanAcceptCount: z.number().int().nonnegative(),
  /** CSAT answers (1–5): their sum and count. */
  csatSum: z.number().nonnegative(),
  csatCount: z.number().int().nonnegative(),
  bookingsMade: z.number().int().nonnegative(),
  bookingsCancelled: z.number().int().nonnegative(),
  bookingsNoShow: z.number().int().nonnegative(),
  /** Deposits paid, in the tenant's currency's minor unit (counted on the day paid, refunded later or not). */
  depositsCents: z.number().int().nonnegative(),
  /** Deposits given back that day (cancellations, failed bookings, late payments), in the same unit. Kept = paid − refunded. */
  depositsRefundedCents: z.number().int().nonnegative(),
});
export type DayMetrics = z.infer<typeof dayMetricsSchema>;

export const analyticsReportSchema = z.object({
  from: day,
  to: day,
  timezone: z.string(),
  currency: z.string(),
  /** One entry per day of the range, in order (days without activity are all zeros). */
  days: z.array(dayMetricsSchema.extend({ day })),
  totals: dayMetricsSchema,
  /** Derived from the totals (null when the denominator is 0): rates in 0..1, averages in ms / points. */
  rates: z.object({
    resolutionRate: z.number().nullable(),
    handoffRate: z.number().nullable(),
    avgFirstResponseMs: z.number().nullable(),
    avgResponseMs: z.number().nullable(),
    avgHumanAcceptMs: z.number().nullable(),
    csatAverage: z.number().nullable(),
  }),
  /** The knowledge-base entries that answered most often in the range (FAQ or document ids, with their titles). */
  topQuestions: z.array(z.object({ sourceId: z.string(), title: z.string(), count: z.number().int().positive() })),
});
export type AnalyticsReport = z.infer<typeof analyticsReportSchema>;

/** A knowledge gap: customers asked something the concierge could not answer (`GET /v1/admin/analytics/gaps`). */
export const knowledgeGapSchema = z.object({
  gapId: z.string(),
  /** The question as first asked, with e-mails, phones and card-like numbers masked. */
  question: z.string(),
  lang: z.string(),
  count: z.number().int().positive(),
  firstAskedAt: z.string(),
  lastAskedAt: z.string(),
  /** Up to 5 conversations where it was asked (for context). */
  conversationIds: z.array(z.string()),
});
export type KnowledgeGap = z.infer<typeof knowledgeGapSchema>;

export const knowledgeGapListSchema = z.object({ items: z.array(knowledgeGapSchema) });

/** `POST /v1/admin/analytics/gaps/{gapId}/resolve`: the FAQ that now answers it (created by the UI with putFaq first), or a dismissal. */
export const resolveGapBodySchema = z.union([
  z.strictObject({ faqId: z.string().min(1).max(128) }),
  z.strictObject({ dismiss: z.literal(true) }),
]);
export type ResolveGapBody = z.infer<typeof resolveGapBodySchema>;
