/**
 * Knowledge gaps (docs/metrics.md "Knowledge gaps"): questions the concierge could not answer, grouped by their
 * normalised text, with personal data masked before anything is stored. Pure: the store keeps the records.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { maskPii } from '../nlu/entities';

/** How long a gap is kept after it was last asked. */
export const GAP_TTL_DAYS = 180;
/** Conversations kept per gap, for context. */
export const MAX_GAP_CONVERSATIONS = 5;
const MAX_QUESTION_CHARS = 500;
const CARD = /\b(?:\d[ -]?){13,19}\b/g;

export const gapRecordSchema = z.object({
  gapId: z.string().min(1),
  /** The question as first asked (of the current opening), masked. */
  question: z.string(),
  /** The conversation `question` came from: erasing it removes the text too. */
  questionFrom: z.string(),
  lang: z.string(),
  count: z.number().int().positive(),
  firstAskedAt: z.string(),
  lastAskedAt: z.string(),
  conversationIds: z.array(z.string()),
  status: z.enum(['open', 'resolved', 'dismissed']),
  /** The FAQ that now answers it (status resolved). */
  faqId: z.string().optional(),
  closedAt: z.string().optional(),
  closedBy: z.string().optional(),
  rev: z.number().int().nonnegative(),
});
export type GapRecord = z.infer<typeof gapRecordSchema>;

/** One unanswered question, as the projector saw it. */
export interface GapSample {
  readonly question: string;
  readonly lang: string;
  readonly at: string;
  readonly conversationId: string;
}

/** E-mail addresses, phone and card-like numbers and introduced names replaced by placeholders; at most 500 characters. */
export function maskQuestion(text: string): string {
  return maskPii(text.replace(CARD, '[card]')).replace(/\s+/g, ' ').trim().slice(0, MAX_QUESTION_CHARS);
}

/** What makes two questions "the same": lower case, no accents, no punctuation, single spaces. */
export function normaliseQuestion(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}[\]]+/gu, ' ')
    .trim();
}

/** The gap id of a (masked) question: a hash of its normalised text. */
export function gapIdOf(maskedQuestion: string): string {
  return createHash('sha256').update(normaliseQuestion(maskedQuestion)).digest('base64url').slice(0, 22);
}

/**
 * The gap after one more asking. A resolved or dismissed gap asked again opens anew: the FAQ did not answer it
 * (or it matters after all), so it counts from 1 with this asking as its first. An asking from before the gap
 * was closed, delivered late (the bus does not keep order), was answered by that closing: the gap stays as it is.
 */
export function addSample(current: GapRecord | undefined, gapId: string, sample: GapSample): GapRecord {
  if (current && current.status !== 'open' && current.closedAt !== undefined && sample.at < current.closedAt) return current;
  if (!current || current.status !== 'open') {
    return {
      gapId,
      question: sample.question,
      questionFrom: sample.conversationId,
      lang: sample.lang,
      count: 1,
      firstAskedAt: sample.at,
      lastAskedAt: sample.at,
      conversationIds: [sample.conversationId],
      status: 'open',
      rev: (current?.rev ?? 0) + 1,
    };
  }
  const ids = current.conversationIds.includes(sample.conversationId) ? current.conversationIds : [...current.conversationIds, sample.conversationId].slice(-MAX_GAP_CONVERSATIONS);
  const earlier = sample.at < current.firstAskedAt;
  return {
    ...current,
    ...(earlier ? { question: sample.question, questionFrom: sample.conversationId, lang: sample.lang, firstAskedAt: sample.at } : {}),
    count: current.count + 1,
    lastAskedAt: sample.at > current.lastAskedAt ? sample.at : current.lastAskedAt,
    conversationIds: ids,
    rev: current.rev + 1,
  };
}

/**
 * The gap once these conversations are forgotten (a customer's erasure): their ids go. When the shown question
 * came from one of them, its wording goes too: the gap keeps the normalised text (which the other conversations
 * asked word for word) and points at one of them; with no other conversation left the gap is deleted
 * (`undefined`). Unchanged: the same object.
 */
export function forgetInGap(gap: GapRecord, conversationIds: ReadonlySet<string>): GapRecord | undefined {
  if (!conversationIds.has(gap.questionFrom) && !gap.conversationIds.some((id) => conversationIds.has(id))) return gap;
  const remaining = gap.conversationIds.filter((id) => !conversationIds.has(id));
  if (!conversationIds.has(gap.questionFrom)) return { ...gap, conversationIds: remaining, rev: gap.rev + 1 };
  const other = remaining[0];
  if (other === undefined) return undefined;
  return { ...gap, question: normaliseQuestion(gap.question), questionFrom: other, conversationIds: remaining, rev: gap.rev + 1 };
}

/** Open gaps, most asked first (then most recently asked). */
export function openGapsByCount(gaps: readonly GapRecord[]): GapRecord[] {
  return gaps.filter((g) => g.status === 'open').sort((a, b) => b.count - a.count || b.lastAskedAt.localeCompare(a.lastAskedAt) || a.gapId.localeCompare(b.gapId));
}
