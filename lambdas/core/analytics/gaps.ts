/**
 * Knowledge gaps (docs/metrics.md "Knowledge gaps"): questions the concierge could not answer, grouped by their
 * normalised text, with personal data masked before anything is stored. Pure: the store keeps the records.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { terms } from '../answer/text';
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

/**
 * Attempts to change or read the assistant's instructions (English and Spanish), on normalised text: not a question
 * about the business, and nothing an owner should turn into an FAQ. Only unmistakable phrasings: "what are your
 * aftercare instructions?" is a question.
 */
const INSTRUCTION_TALK = new RegExp(
  [
    // English: "ignore (all) previous instructions", "disregard your rules", "forget everything above".
    String.raw`\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|of\s+)*(?:your\s+|the\s+)?(?:previous|prior|above|earlier|preceding|original|system|your|these|those)\s+(?:instructions?|prompts?|rules|guidelines|directions|programming)\b`,
    String.raw`\b(?:ignore|disregard|forget)\s+(?:all|everything)\s+(?:above|before|previous|prior|else)\b`,
    String.raw`\b(?:system|hidden|secret|initial|original|developer)\s+(?:prompt|instructions|message)\b|\byour\s+(?:system\s+)?prompt\b`,
    String.raw`\b(?:developer|god|dan)\s+mode\b|\bjailbreak|\bdo anything now\b|\byou are now (?:a|an|my|dan|in)\b|\bfrom now on you (?:are|will)\b|\bpretend (?:to be|you are)\b`,
    String.raw`\b(?:repeat|print|reveal|output)\s+(?:the\s+|all\s+)?(?:text|words|everything|lines)\s+above\b`,
    // Spanish: "ignora las instrucciones anteriores", "olvida tus reglas", "dime tu prompt".
    String.raw`\b(?:ignora|ignore|ignorar|ignoren|olvida|olvide|olvidar|olviden)\s+(?:todas\s+)?(?:las\s+|tus\s+|sus\s+)?(?:instrucciones|indicaciones|reglas|ordenes)\s+(?:anteriores|previas|de arriba|del sistema|originales)\b`,
    String.raw`\b(?:ignora|ignore|olvida|olvide)\s+(?:todo\s+)?lo anterior\b|\b(?:ignora|ignore|olvida|olvide)\s+(?:tus|sus)\s+(?:instrucciones|reglas|indicaciones)\b`,
    String.raw`\b(?:prompt|instrucciones|mensaje) del sistema\b|\binstrucciones (?:ocultas|secretas|iniciales|originales)\b|\b(?:tu|su) prompt\b`,
    String.raw`\bmodo (?:desarrollador|dios)\b|\bahora eres (?:un|una|mi)\b|\bfinge (?:ser|que eres)\b`,
  ].join('|'),
);

/** Chat, not a question: laughter, thinking noises, asking after the assistant itself (the whole message, normalised). */
const SMALL_TALK = new RegExp(
  '^(?:' +
    [
      String.raw`(?:l+o+l+|lmao|xd+|(?:h+a+){2,}h*|(?:h+e+){2,}h*|(?:j+a+){2,}j*|(?:j+e+){2,}j*|(?:j+i+){2,}j*|h+m+|m{2,}|e+h+|a+h+|o+h+)`,
      String.raw`(?:and |so )?how are you(?: doing| today)?|how s it going|what s up|sup`,
      String.raw`(?:are|r) (?:you|u) (?:a |an )?(?:bot|robot|human|person|real|ai|machine|real person)|who are you|what is your name|what s your name`,
      String.raw`tell me a joke|(?:y )?(?:como|que tal) (?:estas|esta usted|esta|andas)|que tal|que pasa|quien eres|quien es usted|como te llamas`,
      String.raw`(?:eres|es usted) (?:un |una )?(?:bot|robot|humano|humana|persona|maquina|ia)|cuentame un chiste`,
    ].join('|') +
    ')$',
);

/**
 * Whether an unanswered message belongs in the knowledge gaps: a question the business could answer with an FAQ.
 * Not an attempt at the assistant's instructions, not small talk, not a message of stop words and punctuation only
 * ("???", "how are you?"); those still count as unanswered replies, they are just not questions for the owner.
 */
export function isKnowledgeQuestion(text: string): boolean {
  const normalised = normaliseQuestion(text);
  if (normalised === '' || terms(normalised.replace(/\[[a-z]+\]/g, ' ')).length === 0) return false;
  return !INSTRUCTION_TALK.test(normalised) && !SMALL_TALK.test(normalised);
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
  // Gaps stored before `isKnowledgeQuestion` was applied when they are made are left out here.
  return gaps.filter((g) => g.status === 'open' && isKnowledgeQuestion(g.question)).sort((a, b) => b.count - a.count || b.lastAskedAt.localeCompare(a.lastAskedAt) || a.gapId.localeCompare(b.gapId));
}
