/**
 * The analytics projector (docs/metrics.md): turns one bus event into day counters (by the event's day in the
 * tenant's time zone), a change of its conversation's facts and, for an unanswered question, a knowledge-gap
 * sample — applied once per event id by the AnalyticsStore (once per idempotency key when the producer gave one,
 * core/ports.ts `occurrenceIdOf`). Never reads more than one message (the question an unanswered reply answered);
 * never scans conversations.
 */
import { analyticsEvents } from '../../../lib/declaration';
import { z } from 'zod';
import { occurrenceIdOf, type ConciergeEventType, type ConversationStore, type TenantStore } from '../ports';
import { mergeFacts, type FactChange } from './facts';
import { addSample, gapIdOf, isKnowledgeQuestion, maskQuestion } from './gaps';
import type { AnalyticsStore } from './ports';

/** The events the projector reads: the declaration's list, which its ConversationStats rule routes here. */
export const projectedEvents = analyticsEvents satisfies readonly ConciergeEventType[];
export type ProjectedEvent = (typeof projectedEvents)[number];

/** An event as the bus delivers it, reduced to what the projector needs. */
export interface BusEvent {
  readonly id: string;
  readonly type: string;
  /** The envelope's time (UTC, whole seconds on EventBridge). */
  readonly time: string;
  readonly tenantId: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface ProjectorDeps {
  readonly analytics: AnalyticsStore;
  readonly conversations: Pick<ConversationStore, 'getConversation' | 'listMessages'>;
  readonly tenants: Pick<TenantStore, 'getProfile'>;
}

/**
 * Intents whose answered replies answer nothing the customer came for (core/answer/concierge.ts): small talk, and a
 * complaint met with the offer of a person.
 */
const SMALL_TALK_INTENTS: ReadonlySet<string> = new Set(['greeting', 'thanks', 'goodbye', 'affirm', 'deny', 'complaint']);

/** Intents whose unanswered replies are knowledge gaps (not a request for a person, a greeting or a booking step). */
const GAP_INTENTS: ReadonlySet<string> = new Set(['question', 'out_of_scope']);

const conversationId = z.string().min(1).max(128);
const seq = z.number().int().nonnegative();
const instant = z.iso.datetime({ offset: true });
const details = {
  'conversation.started': z.object({ conversationId, channel: z.string().optional() }),
  'message.received': z.object({ conversationId, seq, channel: z.string().optional() }),
  'message.answered': z.object({
    conversationId,
    seq,
    replyTo: seq.optional(),
    channel: z.string().optional(),
    sourceIds: z.array(z.string()).default([]),
    answerMs: z.number().nonnegative().optional(),
    intent: z.string().optional(),
  }),
  'message.unanswered': z.object({
    conversationId,
    seq,
    replyTo: seq.optional(),
    channel: z.string().optional(),
    answerMs: z.number().nonnegative().optional(),
    lang: z.string().optional(),
    intent: z.string().optional(),
  }),
  'message.feedback': z.object({ conversationId, seq, helpful: z.boolean(), at: instant.optional() }),
  'handoff.requested': z.object({ conversationId, reason: z.string().max(200).optional() }),
  'handoff.transition': z.object({ conversationId, fromMode: z.string(), toMode: z.string(), toStatus: z.string(), at: instant }),
  'handoff.csat': z.object({ conversationId, score: z.number().int().min(1).max(5) }),
  /** `replacedConfirmed`: whether the booking a reschedule replaced had been confirmed (and so counted); see below. */
  'booking.confirmed': z.object({ bookingId: z.string(), rescheduledFrom: z.string().optional(), replacedConfirmed: z.boolean().optional() }),
  /** `wasConfirmed`: whether the booking was confirmed when cancelled (a hold or an unpaid booking was never made). */
  'booking.cancelled': z.object({ bookingId: z.string(), wasConfirmed: z.boolean().optional() }),
  'booking.noshow': z.object({ bookingId: z.string() }),
  'payment.succeeded': z.object({ amountCents: z.number().int().nonnegative().optional() }),
  'payment.refunded': z.object({ amountCents: z.number().int().nonnegative() }),
} as const satisfies Record<ProjectedEvent, z.ZodType>;

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function dayIn(timeZone: string, instant: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}

/** A channel as a counter-name suffix (letters only). */
export function channelKey(channel: string | undefined): string | undefined {
  const key = channel?.toLowerCase().replace(/[^a-z]/g, '').slice(0, 20);
  return key ? key : undefined;
}

/** The knowledge item a source id stands for: a document passage `<documentId>#<n>` counts for its document. */
export function sourceItemId(sourceId: string): string {
  return sourceId.replace(/#\d+$/, '').slice(0, 128);
}

/** Counter attribute prefix of the top questions: `src#<sourceId>`. */
export const SOURCE_COUNTER_PREFIX = 'src#';

const withChannel = (name: string, channel: string | undefined): Record<string, number> => {
  const key = channelKey(channel);
  return { [name]: 1, ...(key ? { [`${name}_${key}`]: 1 } : {}) };
};

interface Effects {
  readonly counters: Record<string, number>;
  readonly conversationId?: string;
  readonly change?: FactChange;
  readonly gap?: { readonly replyTo: number; readonly lang: string };
}

function effectsOf(event: BusEvent, type: ProjectedEvent): Effects | undefined {
  const at = new Date(event.time).toISOString();
  switch (type) {
    case 'conversation.started': {
      const d = details[type].safeParse(event.detail).data;
      return d && { counters: withChannel('conversations', d.channel), conversationId: d.conversationId, change: { kind: 'started' } };
    }
    case 'message.received': {
      const d = details[type].safeParse(event.detail).data;
      return d && { counters: withChannel('messagesReceived', d.channel), conversationId: d.conversationId, change: { kind: 'customerMessage', at } };
    }
    case 'message.answered': {
      const d = details[type].safeParse(event.detail).data;
      if (!d) return undefined;
      const sources = [...new Set(d.sourceIds.map(sourceItemId).filter((s) => s.length > 0))];
      return {
        counters: {
          ...withChannel('answered', d.channel),
          ...(d.answerMs !== undefined ? { responseMsSum: d.answerMs, responseCount: 1 } : {}),
          ...Object.fromEntries(sources.map((s) => [`${SOURCE_COUNTER_PREFIX}${s}`, 1])),
        },
        conversationId: d.conversationId,
        change: { kind: 'reply', seq: d.seq, answered: true, ms: d.answerMs, smallTalk: d.intent !== undefined && SMALL_TALK_INTENTS.has(d.intent) },
      };
    }
    case 'message.unanswered': {
      const d = details[type].safeParse(event.detail).data;
      if (!d) return undefined;
      return {
        counters: { ...withChannel('unanswered', d.channel), ...(d.answerMs !== undefined ? { responseMsSum: d.answerMs, responseCount: 1 } : {}) },
        conversationId: d.conversationId,
        change: { kind: 'reply', seq: d.seq, answered: false, ms: d.answerMs },
        ...(d.replyTo !== undefined && (d.intent === undefined || GAP_INTENTS.has(d.intent)) ? { gap: { replyTo: d.replyTo, lang: d.lang ?? 'en' } } : {}),
      };
    }
    case 'message.feedback': {
      const d = details[type].safeParse(event.detail).data;
      return d && { counters: {}, conversationId: d.conversationId, change: { kind: 'feedback', seq: d.seq, helpful: d.helpful, at: d.at ? new Date(d.at).toISOString() : at } };
    }
    case 'handoff.requested': {
      const d = details[type].safeParse(event.detail).data;
      return d && { counters: {}, conversationId: d.conversationId, change: { kind: 'handoffRequested', at, reason: d.reason?.trim() || 'unspecified' } };
    }
    case 'handoff.transition': {
      const d = details[type].safeParse(event.detail).data;
      if (!d) return undefined;
      const when = new Date(d.at).toISOString();
      if (d.toMode === 'waiting_for_human' && d.fromMode !== 'waiting_for_human') return { counters: {}, conversationId: d.conversationId, change: { kind: 'queued', at: when } };
      if (d.toStatus === 'accepted' && d.fromMode === 'waiting_for_human') return { counters: {}, conversationId: d.conversationId, change: { kind: 'accepted', at: when } };
      return undefined;
    }
    case 'handoff.csat': {
      const d = details[type].safeParse(event.detail).data;
      return d && { counters: {}, conversationId: d.conversationId, change: { kind: 'csat', eventId: event.id, score: d.score, at } };
    }
    case 'booking.confirmed': {
      const d = details[type].safeParse(event.detail).data;
      // A reschedule of a confirmed booking confirms one that replaces a booking already counted: not a booking
      // made. One that replaced a booking never confirmed (a hold moved) is the first confirmation: counted.
      // Without `replacedConfirmed` (producers before it), a reschedule is taken as one of a confirmed booking.
      return d && (d.rescheduledFrom && d.replacedConfirmed !== false ? undefined : { counters: { bookingsMade: 1 } });
    }
    case 'booking.cancelled': {
      const d = details[type].safeParse(event.detail).data;
      // A booking never confirmed (held, awaiting payment) was never counted as made: its cancellation is not counted
      // either. Without `wasConfirmed` (producers before it), a cancellation counts.
      return d && (d.wasConfirmed === false ? undefined : { counters: { bookingsCancelled: 1 } });
    }
    case 'booking.noshow':
      return details[type].safeParse(event.detail).success ? { counters: { bookingsNoShow: 1 } } : undefined;
    case 'payment.succeeded': {
      const d = details[type].safeParse(event.detail).data;
      return d?.amountCents ? { counters: { depositsCents: d.amountCents } } : undefined;
    }
    case 'payment.refunded': {
      // Counted on the day the money went back; the deposit stays counted as paid on its own day.
      const d = details[type].safeParse(event.detail).data;
      return d?.amountCents ? { counters: { depositsRefundedCents: d.amountCents } } : undefined;
    }
  }
}

function isProjected(type: string): type is ProjectedEvent {
  return (projectedEvents as readonly string[]).includes(type);
}

export type ProjectionOutcome = 'applied' | 'replayed' | 'ignored';

/**
 * Projects one event. `ignored`: not an analytics event, or its detail is not what the producer publishes (the
 * projector never throws on bad input: a poison event would be retried for hours). `replayed`: this event id
 * was applied before and nothing changed.
 */
export async function projectEvent(deps: ProjectorDeps, event: BusEvent): Promise<ProjectionOutcome> {
  if (!isProjected(event.type) || Number.isNaN(Date.parse(event.time))) return 'ignored';
  const effects = effectsOf(event, event.type);
  if (!effects) return 'ignored';
  const { tenantId } = event;
  const profile = await deps.tenants.getProfile(tenantId);
  const day = dayIn(profile?.timezone ?? 'UTC', new Date(event.time));

  // The conversation's record gives its start (the cohort day) and channel; an erased one has no facts any more.
  const conversation = effects.conversationId ? await deps.conversations.getConversation(tenantId, effects.conversationId) : undefined;
  const change = effects.change;
  const facts =
    conversation && change
      ? {
          conversationId: conversation.conversationId,
          startedAt: conversation.createdAt,
          update: (current: Parameters<typeof mergeFacts>[0]) =>
            mergeFacts(current, { conversationId: conversation.conversationId, startedAt: conversation.createdAt, channel: conversation.channel }, change),
        }
      : undefined;

  let gap: { gapId: string; update: (current: Parameters<typeof addSample>[0]) => ReturnType<typeof addSample> } | undefined;
  if (effects.gap && conversation) {
    const replyTo = effects.gap.replyTo;
    const [asked] = await deps.conversations.listMessages(tenantId, conversation.conversationId, replyTo - 1, 1);
    if (asked && asked.seq === replyTo && asked.role === 'customer') {
      const question = maskQuestion(asked.text);
      if (question.length > 0 && isKnowledgeQuestion(question)) {
        const gapId = gapIdOf(question);
        const sample = { question, lang: effects.gap.lang, at: new Date(event.time).toISOString(), conversationId: conversation.conversationId };
        gap = { gapId, update: (current) => addSample(current, gapId, sample) };
      }
    }
  }

  const applied = await deps.analytics.apply({
    tenantId,
    // An occurrence published twice (a retried workflow step) carries one idempotency key: counted once.
    eventId: occurrenceIdOf(event),
    ...(Object.keys(effects.counters).length > 0 ? { day: { day, counters: effects.counters } } : {}),
    ...(facts ? { conversation: facts } : {}),
    ...(gap ? { gap } : {}),
  });
  return applied ? 'applied' : 'replayed';
}
