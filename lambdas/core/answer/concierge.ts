/**
 * The concierge's answering policy: small talk gets a short reply; a question
 * is answered only from retrieved passages, with their sources; below the
 * confidence bar the concierge says it does not know and offers a person.
 */
import type { KnowledgeIndex, LanguageModel, RetrievedPassage } from '../ports';
import type { QuickReply, SourceRef } from '../protocol';
import { detectLanguage, strings, type ReplyLanguage } from './language';
import { words } from './text';

export interface Answer {
  readonly text: string;
  readonly answered: boolean;
  /** 0..1 */
  readonly confidence: number;
  readonly sources: readonly SourceRef[];
  readonly quickReplies?: readonly QuickReply[];
  readonly lang: ReplyLanguage;
  readonly kind: 'small_talk' | 'answer' | 'unknown';
}

export interface AnswerDeps {
  readonly index: KnowledgeIndex;
  readonly model: LanguageModel;
}

/** Below this share of the question's information found in the best passage, we do not answer. */
export const MIN_COVERAGE = 0.5;

const SMALL_TALK: readonly { kind: 'greeting' | 'thanks' | 'goodbye'; re: RegExp }[] = [
  { kind: 'greeting', re: /^(hi|hello|hey|hiya|good (morning|afternoon|evening)|hola|buenos dias|buenas( tardes| noches)?)$/ },
  { kind: 'thanks', re: /^((many )?thanks( a lot| so much)?|thank you( so much| very much)?|cheers|ty|gracias|muchas gracias|mil gracias)$/ },
  { kind: 'goodbye', re: /^(bye|goodbye|see you|see ya|adios|hasta luego|chao|ciao)$/ },
];

function smallTalk(text: string): 'greeting' | 'thanks' | 'goodbye' | undefined {
  const normalised = words(text).join(' ');
  return SMALL_TALK.find((s) => s.re.test(normalised))?.kind;
}

function confidenceOf(top: RetrievedPassage, second: RetrievedPassage | undefined): number {
  const margin = second ? Math.min(1, (top.score - second.score) / Math.max(top.score, 1e-9)) : 1;
  return Math.round(Math.min(1, top.coverage * (0.75 + 0.25 * margin)) * 1000) / 1000;
}

export async function answerQuestion(
  deps: AnswerDeps,
  input: { tenantId: string; businessName: string; question: string; langHint?: string },
): Promise<Answer> {
  const lang = detectLanguage(input.question, input.langHint);
  const s = strings(lang);
  const talk = smallTalk(input.question);
  if (talk) {
    const text = talk === 'greeting' ? s.greeting(input.businessName) : talk === 'thanks' ? s.thanks : s.goodbye;
    return { text, answered: true, confidence: 1, sources: [], lang, kind: 'small_talk' };
  }

  const hits = await deps.index.search(input.tenantId, input.question, 5);
  const top = hits[0];
  if (!top || top.coverage < MIN_COVERAGE) {
    return {
      text: s.dontKnow(input.businessName),
      answered: false,
      confidence: top ? confidenceOf(top, hits[1]) : 0,
      sources: [],
      quickReplies: [{ label: s.talkToPerson, text: s.talkToPersonText }],
      lang,
      kind: 'unknown',
    };
  }
  const usable = hits.filter((h) => h.coverage >= MIN_COVERAGE && h.score >= top.score * 0.6).slice(0, 3);
  const composed = await deps.model.compose({ question: input.question, lang, businessName: input.businessName, passages: usable });
  const used = new Set(composed.usedPassageIds);
  const sources: SourceRef[] = usable
    .filter((h) => used.has(h.passage.id))
    .map((h) => ({ id: h.passage.id, title: h.passage.title, kind: h.passage.kind }));
  return { text: composed.text, answered: true, confidence: confidenceOf(top, hits[1]), sources, lang, kind: 'answer' };
}
