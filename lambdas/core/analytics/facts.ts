/**
 * What analytics remembers about one conversation (docs/metrics.md): enough to decide at read time whether it
 * was resolved (confirmed or assumed), handed off, how fast the bot first replied and how long a person took
 * to accept — never its text. Every merge here is order-independent and idempotent (max / min / set by key),
 * so events arriving late, out of order or twice leave the same facts.
 */
import { z } from 'zod';

/** No customer message for this long after the last one, with the last reply an answer: an assumed resolution. */
export const ASSUMED_AFTER_MS = 24 * 3600_000;
/** Bounds of the per-conversation lists (a conversation with more handoffs than this is not a normal one). */
const MAX_TIMES = 20;
const MAX_CSAT = 10;

const instant = z.string().min(1);

/** The stored shape; the schema is the type. */
export const conversationFactsSchema = z.object({
  conversationId: z.string().min(1),
  /** When the conversation started (its record's createdAt, a UTC instant): its day in the tenant's time zone is its cohort day. */
  startedAt: instant,
  channel: z.string(),
  /** The latest customer message (message.received). */
  lastCustomerMessageAt: instant.optional(),
  /** The bot reply with the highest seq, and whether it answered from the knowledge base. */
  lastReply: z.object({ seq: z.number().int(), answered: z.boolean() }).optional(),
  /**
   * Whether any bot reply answered something the customer came for (not only small talk: a greeting, thanks, a
   * goodbye, a yes or no). Absent on facts stored before it was kept, once they had replies: unknown.
   */
  answeredQuestion: z.boolean().optional(),
  /** The bot reply with the lowest seq and how long it took (answerMs). */
  firstReply: z.object({ seq: z.number().int(), ms: z.number().nonnegative() }).optional(),
  /** The earliest request for a person (handoff.requested), with its reason. */
  handoff: z.object({ at: instant, reason: z.string() }).optional(),
  /** When the conversation entered the queue for a person, and when a person accepted it (handoff.transition `at`). */
  queuedAt: z.array(instant).default([]),
  acceptedAt: z.array(instant).default([]),
  /** The customer's latest thumbs per bot message seq. */
  feedback: z.record(z.string(), z.object({ helpful: z.boolean(), at: instant })).default({}),
  /** CSAT answers by event id. */
  csat: z.record(z.string(), z.object({ score: z.number().int().min(1).max(5), at: instant })).default({}),
  rev: z.number().int().nonnegative().default(0),
});
export type ConversationFacts = z.infer<typeof conversationFactsSchema>;

/** One event's contribution to a conversation's facts. */
export type FactChange =
  | { readonly kind: 'started' }
  | { readonly kind: 'customerMessage'; readonly at: string }
  | { readonly kind: 'reply'; readonly seq: number; readonly answered: boolean; readonly ms: number | undefined; readonly smallTalk?: boolean }
  | { readonly kind: 'feedback'; readonly seq: number; readonly helpful: boolean; readonly at: string }
  | { readonly kind: 'handoffRequested'; readonly at: string; readonly reason: string }
  | { readonly kind: 'queued'; readonly at: string }
  | { readonly kind: 'accepted'; readonly at: string }
  | { readonly kind: 'csat'; readonly eventId: string; readonly score: number; readonly at: string };

const later = (a: string | undefined, b: string): string => (a !== undefined && a >= b ? a : b);
const addTime = (list: readonly string[], at: string): string[] => (list.includes(at) ? [...list] : [...list, at].sort().slice(-MAX_TIMES));

/** The facts after one change; `base` seeds a conversation seen for the first time. */
export function mergeFacts(
  current: ConversationFacts | undefined,
  base: { readonly conversationId: string; readonly startedAt: string; readonly channel: string },
  change: FactChange,
): ConversationFacts {
  const f: ConversationFacts = current ?? { ...base, queuedAt: [], acceptedAt: [], feedback: {}, csat: {}, rev: 0 };
  switch (change.kind) {
    case 'started':
      return f;
    case 'customerMessage':
      return { ...f, lastCustomerMessageAt: later(f.lastCustomerMessageAt, change.at) };
    case 'reply': {
      const lastReply = f.lastReply && f.lastReply.seq >= change.seq ? f.lastReply : { seq: change.seq, answered: change.answered };
      const firstReply =
        change.ms === undefined || (f.firstReply && f.firstReply.seq <= change.seq) ? f.firstReply : { seq: change.seq, ms: Math.max(0, change.ms) };
      const substantive = change.answered && change.smallTalk !== true;
      // Facts from before the flag, with replies already, stay unknown until a substantive answer settles it.
      const unknown = f.answeredQuestion === undefined && f.lastReply !== undefined;
      const answeredQuestion = substantive || f.answeredQuestion === true ? true : unknown ? undefined : false;
      return { ...f, lastReply, ...(firstReply ? { firstReply } : {}), ...(answeredQuestion !== undefined ? { answeredQuestion } : {}) };
    }
    case 'feedback': {
      const key = String(change.seq);
      const before = f.feedback[key];
      if (before && (before.at > change.at || (before.at === change.at && before.helpful === change.helpful))) return f;
      return { ...f, feedback: { ...f.feedback, [key]: { helpful: change.helpful, at: change.at } } };
    }
    case 'handoffRequested': {
      const keep = f.handoff && (f.handoff.at < change.at || (f.handoff.at === change.at && f.handoff.reason <= change.reason));
      return keep ? f : { ...f, handoff: { at: change.at, reason: change.reason } };
    }
    case 'queued':
      return { ...f, queuedAt: addTime(f.queuedAt, change.at) };
    case 'accepted':
      return { ...f, acceptedAt: addTime(f.acceptedAt, change.at) };
    case 'csat': {
      if (f.csat[change.eventId]) return f;
      const entries = Object.entries({ ...f.csat, [change.eventId]: { score: change.score, at: change.at } })
        .sort(([, a], [, b]) => a.at.localeCompare(b.at))
        .slice(-MAX_CSAT);
      return { ...f, csat: Object.fromEntries(entries) };
    }
  }
}

/** The latest of a set of timed values (ties: the later key), or undefined. */
function latest<T extends { readonly at: string }>(values: Readonly<Record<string, T>>): T | undefined {
  let best: { key: string; value: T } | undefined;
  for (const [key, value] of Object.entries(values)) {
    if (!best || value.at > best.value.at || (value.at === best.value.at && key.localeCompare(best.key, 'en', { numeric: true }) > 0)) best = { key, value };
  }
  return best?.value;
}

export type Resolution = 'confirmed' | 'assumed' | 'none';

/**
 * docs/metrics.md "Resolutions": what the concierge resolved. A conversation handed to a person never is, whatever
 * the customer said (a CSAT answer follows a person's close and rates that person; a thumbs-up was for an answer
 * that did not settle it). Otherwise confirmed when the customer's latest thumbs says it helped (or a latest CSAT
 * of 4 or 5); assumed when nothing says otherwise — no negative latest thumbs, the bot's last reply answered, some
 * reply answered more than small talk, and no customer message for 24 h (`now`); else none (yet).
 */
export function resolutionOf(f: ConversationFacts, now: Date): Resolution {
  if (f.handoff) return 'none';
  const thumbs = latest(f.feedback);
  const csat = latest(f.csat);
  if (thumbs?.helpful === true || (csat !== undefined && csat.score >= 4)) return 'confirmed';
  if (thumbs?.helpful === false || csat !== undefined) return 'none';
  // Small talk only ("hi" and gone, or an unanswered question then "ok thanks"): the concierge resolved nothing.
  if (!f.lastReply?.answered || f.answeredQuestion === false || f.lastCustomerMessageAt === undefined) return 'none';
  return now.getTime() - Date.parse(f.lastCustomerMessageAt) >= ASSUMED_AFTER_MS ? 'assumed' : 'none';
}

/**
 * The waits for a person in milliseconds: each accept is paired with the latest queue entry before it that no
 * earlier accept used (a takeover from the bot was never queued, so it has no wait).
 */
export function acceptWaits(f: ConversationFacts): number[] {
  const queued = [...f.queuedAt].sort();
  const waits: number[] = [];
  let previous = '';
  for (const accepted of [...f.acceptedAt].sort()) {
    const candidates = queued.filter((q) => q <= accepted && q > previous);
    const start = candidates[candidates.length - 1];
    if (start !== undefined) waits.push(Math.max(0, Date.parse(accepted) - Date.parse(start)));
    previous = accepted;
  }
  return waits;
}
