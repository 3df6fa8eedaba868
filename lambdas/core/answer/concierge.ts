/**
 * The concierge's answering policy (NLU → policy → retrieve → answer → guard):
 * - greeting / thanks / goodbye get a short reply;
 * - a question (or anything the classifier is unsure of) is answered only from
 *   retrieved passages, with their sources; below the confidence bar the
 *   concierge says so and offers a person, and after two unanswered questions
 *   in a row it hands over to a person outright;
 * - follow-ups ("how much is it?") borrow the topic of the conversation;
 * - `human` asks for a person (the caller publishes `handoff.requested`), and a
 *   "yes" to an offered handoff does the same;
 * - booking intents (book, reschedule, cancel, "when is my appointment?") and
 *   the turns of a booking in progress go to the booking dialog
 *   (core/booking/dialog.ts) when booking deps are given; a question in the
 *   middle of a booking is answered here and followed by "shall we continue?",
 *   the draft kept. Without booking deps: the services, prices and how to book
 *   — never availability, never a made-up price;
 * - everything leaves through the output guard (plain text, no secrets).
 * Customer text is only ever data here: it is never concatenated into
 * instructions, so "ignore previous instructions" is just an unanswerable question.
 */
import { bookingTurn, type DialogOutcome } from '../booking/dialog';
import { dialogText, formatMoney, formatPrice } from '../booking/dialog-text';
import { asksOpeningHours, describeOpeningHours, hoursAskedOf } from '../business-hours';
import type { Booking } from '../booking/ports';
import type { BookingDeps } from '../booking/service';
import { serviceNameIn, type Service } from '../knowledge-base';
import type { BookingDraft, ConversationContext, KnownContact } from './context';
import type { CatalogueSource, TenantCatalogue } from '../nlu/catalogue';
import { glossQuery, translateQuery } from '../nlu/glossary';
import { stronglyFrustrated } from '../nlu/frustration';
import { understand, type Intent, type Understanding, type WhenEntity } from '../nlu/index';
import type { KnowledgeIndex, LanguageModel, RetrievedPassage } from '../ports';
import type { QuickReply, SourceRef } from '../protocol';
import { leaksSecrets, plainText } from './guard';
import { detectLanguage, strings, type ReplyLanguage } from './language';
import { terms, words } from './text';
import { asksByWord } from '../nlu/question';

export type AnswerKind = 'small_talk' | 'answer' | 'unknown' | 'handoff' | 'booking' | 'complaint';

export { conversationContextSchema, type ConversationContext } from './context';

export interface Answer {
  readonly text: string;
  readonly answered: boolean;
  /** 0..1 */
  readonly confidence: number;
  readonly sources: readonly SourceRef[];
  readonly quickReplies?: readonly QuickReply[];
  readonly lang: ReplyLanguage;
  readonly kind: AnswerKind;
  /** What the customer wanted, as the NLU understood it. */
  readonly intent: Intent;
  /** True when the reply offers a person (or hands over to one). */
  readonly handoffOffered: boolean;
  /** True when the customer asked for a person: the caller publishes `handoff.requested`. */
  readonly handoffRequested: boolean;
  /** Why the conversation is handed over (with `handoffRequested`), in staff words. */
  readonly handoffReason?: string;
  /** Entities found (ids and times only: no contact details, so this is safe to log and publish). */
  readonly entities: { readonly service?: string; readonly staff?: string; readonly when?: WhenEntity };
  /** The conversation state after this turn, for the caller to store. */
  readonly context: ConversationContext;
}

export interface AnswerDeps {
  readonly index: KnowledgeIndex;
  readonly model: LanguageModel;
  /** Services, staff, hours and FAQ questions; without it intents come from the base model and there are no catalogue entities. */
  readonly catalogue?: CatalogueSource;
  readonly now?: () => Date;
  /** The booking capability; without it booking intents get the services, prices and how to book. */
  readonly booking?: BookingDeps;
}

export interface AnswerInput {
  readonly tenantId: string;
  readonly businessName: string;
  readonly question: string;
  readonly langHint?: string;
  /** Earlier turns, oldest first (passed on to the language model for follow-ups). */
  readonly history?: readonly { readonly role: 'customer' | 'bot' | 'agent'; readonly text: string }[];
  readonly context?: ConversationContext;
  /** The tenant's current kbVersion, so cached models are reused without a read. */
  readonly kbVersion?: number;
  /** Called with each piece of the answer as a language model writes it (a preview for streaming; the returned answer is what counts). */
  readonly onDelta?: (text: string) => void;
  /** The conversation, recorded on bookings made in it. */
  readonly conversationId?: string;
  /** The channel the customer writes on (default web). */
  readonly channel?: Booking['channel'];
  /**
   * Who writes, as the channel vouches for it (`web:<visitor id>`, `whatsapp:+34…`; channels/identity.ts): a
   * booking is shown, cancelled or moved only for the identity it was made by, or for the phone a phone channel
   * verified. A phone number or e-mail typed in the chat proves nothing.
   */
  readonly identity?: string;
}

/** Below this share of the question's information found in the best passage, we do not answer. */
export const MIN_COVERAGE = 0.5;
/**
 * With embeddings, the passage must also be this similar to the question. 0.45 is the median
 * similarity of the best *wrong* passage on StackFAQ with USE-lite (the right one's is 0.62): public
 * evidence, not a figure tuned on our own eval set. Safety first: a lexical match on "how much" is
 * not an answer to "how much is an implant?".
 */
export const MIN_SIMILARITY = 0.45;
/** A passage as similar as a typical right one (StackFAQ's median for USE-lite) may cover less of the wording. */
export const STRONG_SIMILARITY = 0.62;
export const MIN_COVERAGE_WHEN_SIMILAR = 0.4;

/**
 * The answering bar: enough of the question covered and, when the search used embeddings, semantically
 * close enough. A passage without a similarity in a list where others have one was found lexically
 * only (outside the semantic candidates): it counts as dissimilar, not as "no embeddings".
 */
export function confident(hit: RetrievedPassage | undefined, list: readonly RetrievedPassage[] = hit ? [hit] : []): hit is RetrievedPassage {
  if (hit === undefined) return false;
  const semantic = hit.similarity !== undefined || list.some((h) => h.similarity !== undefined);
  if (!semantic) return hit.coverage >= MIN_COVERAGE;
  const similarity = hit.similarity ?? 0;
  return (hit.coverage >= MIN_COVERAGE && similarity >= MIN_SIMILARITY) || (hit.coverage >= MIN_COVERAGE_WHEN_SIMILAR && similarity >= STRONG_SIMILARITY);
}

/**
 * The candidate bar, for a language model that judges relevance itself (LanguageModel.judgesRelevance): a passage
 * at least this similar to the question, or covering at least MIN_CANDIDATE_COVERAGE of its wording, goes to the
 * model, which answers from it or says it does not know. The same bar picks the "did you mean" suggestions
 * of an unanswered question (FAQs only).
 * `npm run eval` reports what this changes on its cases as `llm_passage_recall` (the right passage is among those
 * a judging model is given) against `extractive_passage_recall`.
 */
export const MIN_CANDIDATE_SIMILARITY = 0.35;
export const MIN_CANDIDATE_COVERAGE = 0.3;

/** The candidate bar (see MIN_CANDIDATE_SIMILARITY); every passage above the answering bar clears it too. */
export function candidate(hit: RetrievedPassage | undefined, list: readonly RetrievedPassage[] = hit ? [hit] : []): hit is RetrievedPassage {
  if (hit === undefined) return false;
  const aboveAnsweringBar: boolean = confident(hit, list);
  return aboveAnsweringBar || (hit.similarity ?? 0) >= MIN_CANDIDATE_SIMILARITY || hit.coverage >= MIN_CANDIDATE_COVERAGE;
}

/**
 * The passages the language model is given: those above the bar (the answering bar, or the candidate bar for a
 * model that judges relevance) and within 60% of the best score, at most three; none when the best is below it.
 */
export function usablePassages(hits: readonly RetrievedPassage[], judgesRelevance: boolean): RetrievedPassage[] {
  const bar = judgesRelevance ? candidate : confident;
  const top = hits[0];
  if (!bar(top, hits)) return [];
  return hits.filter((h) => bar(h, hits) && h.score >= top.score * 0.6).slice(0, 3);
}

/** Unanswered questions in a row after which the conversation is handed over to a person outright. */
export const UNANSWERED_BEFORE_HANDOFF = 2;

function confidenceOf(top: RetrievedPassage, second: RetrievedPassage | undefined): number {
  const margin = second ? Math.min(1, (top.score - second.score) / Math.max(top.score, 1e-9)) : 1;
  return Math.round(Math.min(1, top.coverage * (0.75 + 0.25 * margin)) * 1000) / 1000;
}

/**
 * A message that opens like a follow-up ("and…", "what about…") but has no pronoun for the topic may name a topic
 * of its own: "what about insurance?" after whitening is about insurance, and searched with the whitening topic
 * added it finds the whitening passage again (the topic's words outweigh the one new word). So it is also
 * searched alone, deeper, and switches topic only when it names one: a word of its own (not an attribute of any
 * topic: "and the price?", "¿y duele?", "how long?") is in the title of a passage it answers confidently (an FAQ
 * question, a section heading), and the topic's passage covers under half of the message. Otherwise ("what about
 * on Saturdays?" after weekday hours: the hours passage has Saturdays) the topic's answer stands. A message with a
 * pronoun ("is it painful?") is about the topic, whatever else its words match.
 */
async function newTopicOrNot(deps: AnswerDeps, input: AnswerInput, lang: ReplyLanguage, withTopic: Retrieved, ownLanguageFirst: boolean): Promise<{ found: Retrieved; switched: boolean }> {
  const stay = { found: withTopic, switched: false };
  const alone = await retrieve(deps, input.tenantId, input.question, lang, input.kbVersion, OWN_TOPIC_DEPTH, ownLanguageFirst);
  const own = new Set([...terms(input.question), ...terms(alone.query)].filter((t) => !TOPIC_ATTRIBUTES.has(t)));
  if (own.size === 0) return stay;
  const named = alone.hits.find((h) => confident(h, alone.hits) && terms(h.passage.title).some((t) => own.has(t)));
  if (!named) return stay;
  const topicPassage = withTopic.hits[0];
  if (topicPassage?.passage.id === named.passage.id) return stay;
  const topicCovers = topicPassage ? (alone.hits.find((h) => h.passage.id === topicPassage.passage.id)?.coverage ?? 0) : 0;
  if (topicCovers >= OWN_TOPIC_COVERED) return stay;
  return { found: { hits: [named, ...alone.hits.filter((h) => h !== named)].slice(0, 5), query: alone.query }, switched: true };
}

/** The context without the conversation's service, when a follow-up moved to another topic. */
function withoutOldService(context: ConversationContext, drop: boolean): ConversationContext {
  if (!drop) return context;
  const { lastServiceId: _left, ...rest } = context;
  return rest;
}

/** How deep the message alone is searched, to find how much of it the topic's passage covers. */
const OWN_TOPIC_DEPTH = 20;
/** The share of the message's own wording the topic's passage must cover to keep answering the topic. */
const OWN_TOPIC_COVERED = 0.5;
/** Words that ask about a property of the topic, not for another topic ("and the price?", "¿y duele?"). */
const TOPIC_ATTRIBUTES: ReadonlySet<string> = new Set(
  terms(
    'price prices cost costs fee fees much long take takes time times hurt hurts painful pain safe duration minutes hours ' +
      'available availability book booking when where precio precios cuesta cuestan coste cuanto tarda tiempo duele dolor seguro duracion cuando donde',
  ),
);

/** "how much is it?", "and for children?", "¿y cuánto cuesta?": the message points back at the conversation's topic. */
function pointsBack(text: string): boolean {
  const ws = words(text);
  if (ws.length === 0 || ws.length > 9) return false;
  return /^(?:and|also|what about|how about|y|e|tambien|que tal)\b/.test(ws.join(' ')) || refersBack(ws);
}

/** A pronoun for the topic ("is it painful?", "how much does that cost?", "¿eso duele?"). */
function refersBack(ws: readonly string[]): boolean {
  return ws.some((w) => ['it', 'that', 'this', 'they', 'them', 'those', 'one', 'eso', 'esto', 'ese', 'esa', 'lo'].includes(w));
}

const money = formatMoney;

function describeWhen(when: WhenEntity, lang: ReplyLanguage): string | undefined {
  const s = strings(lang);
  const day = when.date
    ? new Intl.DateTimeFormat(s.locale, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${when.date}T12:00:00Z`))
    : undefined;
  const time = when.start ? (when.end ? s.between(when.start, when.end) : when.approximate ? s.around(when.start) : s.at(when.start)) : undefined;
  const parts = [day, time].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function serviceLine(service: Service, lang: ReplyLanguage): string {
  const s = strings(lang);
  return s.serviceLine(
    serviceNameIn(service, lang),
    formatPrice(service.priceCents, service.currency, s.locale),
    service.durationMinutes,
    service.depositCents > 0 ? money(service.depositCents, service.currency, s.locale) : undefined,
  );
}

export interface Retrieved {
  readonly hits: RetrievedPassage[];
  readonly query: string;
}

export async function retrieve(
  deps: Pick<AnswerDeps, 'index'>,
  tenantId: string,
  text: string,
  lang: ReplyLanguage,
  kbVersion?: number,
  k = 5,
  ownLanguageFirst = false,
): Promise<Retrieved> {
  // A Spanish question may meet an English knowledge base: its word-by-word English rendering is
  // searched first, then its English keywords, then the question as written; the first confident
  // result wins (most Spanish questions need one or two searches). The renderings still to come go with
  // each search (`next`), so an index that embeds questions embeds them together. Keywords with the same words
  // as the rendering ("accept new patients" / "new patients accept", 27 of the 45 Spanish eval cases) would find
  // the same passages by their words: they are not searched again. When the business wrote FAQs in the customer's
  // language (`ownLanguageFirst`), the question as written goes first: its own FAQ ("¿Tienen aparcamiento para
  // bicicletas?") must not lose to an English passage that shares half its words (the car park).
  const english = [translateQuery(text), glossQuery(text)];
  const renderings = lang === 'es' ? (ownLanguageFirst ? [text, ...english] : [...english, text]).filter((q) => q.trim().length > 0) : [text];
  const seen = new Set<string>();
  const queries = renderings.filter((q) => {
    const key = [...new Set(terms(q))].sort().join(' ') || q;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const tried: Retrieved[] = [];
  for (const [i, query] of queries.entries()) {
    const next = queries.slice(i + 1);
    const found = await deps.index.search(tenantId, query, k, { ...(kbVersion !== undefined ? { kbVersion } : {}), ...(next.length > 0 ? { next } : {}) });
    // The question as written is there for knowledge written in its language. Matched against passages in
    // another language it shares only look-alike words ("¿dónde está la clínica?" and a "sedation clinic"),
    // which the English renderings above already had their chance at: such passages are no answer to it.
    const hits = lang !== 'en' && query === text ? found.filter((h) => detectLanguage(`${h.passage.title}\n${h.passage.text}`, lang) === lang) : found;
    if (confident(hits[0], hits)) return { hits, query };
    tried.push({ hits, query });
  }
  // None confident: the one that came closest, for the "did you mean" suggestions.
  return tried.reduce<Retrieved>((a, b) => ((b.hits[0]?.coverage ?? 0) > (a.hits[0]?.coverage ?? 0) ? b : a), { hits: [], query: text });
}

const writtenIn = new WeakMap<TenantCatalogue, Set<ReplyLanguage>>();

/** Whether the business wrote FAQs in this language (a Spanish FAQ in an English knowledge base), per catalogue. */
function hasFaqsIn(catalogue: TenantCatalogue | undefined, lang: ReplyLanguage): boolean {
  if (!catalogue || lang === 'en') return false;
  let languages = writtenIn.get(catalogue);
  if (!languages) {
    languages = new Set(catalogue.faqQuestions.map((q) => detectLanguage(q, 'en')));
    writtenIn.set(catalogue, languages);
  }
  return languages.has(lang);
}

/**
 * "Did you mean…?": for an unanswered question, up to two topics above the candidate bar, offered as quick
 * replies (never as an answer) so the customer can pick one: an FAQ's question, or a document section's heading
 * ("After a tooth extraction"), which the search answers from that section when tapped. Only topics in the
 * customer's language, each once.
 */
function suggestions(hits: readonly RetrievedPassage[], intent: Intent, lang: ReplyLanguage): QuickReply[] {
  if (intent === 'out_of_scope') return [];
  const topics = hits
    .filter((h) => candidate(h, hits))
    .map((h) => plainText(topicOf(h.passage)))
    .filter((topic) => topic.length > 0 && detectLanguage(topic, 'en') === lang);
  return [...new Map(topics.map((t) => [t.toLowerCase(), t] as const)).values()].slice(0, 2).map((t) => ({ label: t.slice(0, 80), text: t }));
}

/** What a passage is about, as a customer could ask for it: an FAQ's question, a document chunk's section heading. */
export function topicOf(passage: Pick<RetrievedPassage['passage'], 'kind' | 'title'>): string {
  return passage.kind === 'faq' ? passage.title : (passage.title.split(' › ').pop() ?? passage.title);
}

function offerPerson(lang: ReplyLanguage): QuickReply[] {
  const s = strings(lang);
  return [{ label: s.talkToPerson, text: s.talkToPersonText }];
}

/** Words that open a message without saying anything of it: "ok", "never mind", "thanks", "vale", "olvídalo". */
const LEAD_IN =
  /^\s*(?:(?:ok(?:ay)?|okey|alright|all right|right|fine|cool|great|thanks?(?: you)?(?: (?:so|very) much)?|thx|cheers|never ?mind|forget (?:it|that)|no worries|sorry|hmm+|hi|hello|hey|vale|bueno|pues|gracias|muchas gracias|perfecto|genial|de acuerdo|olv[ií]dalo|no importa|da igual|hola|perd[oó]n)[\s,.!;:-]+)+/i;

/**
 * The question a message asks after a lead-in ("ok never mind. What are your opening hours?", "thanks, where are you?",
 * "vale, ¿tenéis parking?"): the lead-in is dropped, else it was read as thanks (the question ignored) or lowered the
 * search's coverage below the answering bar. A message that asks nothing after it ("thanks, that's all") stays whole.
 */
export function withoutLeadIn(text: string): string {
  const lead = LEAD_IN.exec(text);
  if (!lead) return text;
  const rest = text.slice(lead[0].length).trim();
  // A question mark or a wh-word (nlu/question.ts asksByWord), not an auxiliary verb without a question mark, nor
  // "what a…": "thanks, can't wait", "ok, do it", "gracias, es todo", "thanks, what a great service!" are no questions.
  return rest.split(/\s+/).length >= 2 && asksByWord(rest) ? rest : text;
}

export async function answerQuestion(deps: AnswerDeps, rawInput: AnswerInput): Promise<Answer> {
  // Markup in a customer message is noise to understanding and search ("<script>…</script> what are your hours").
  // The attachments a channel message carried ("[attachment: image/jpeg]") are no words of the question; alone, they
  // are what `policy` answers as such.
  const plain = plainText(rawInput.question) || rawInput.question;
  const written = plain.replace(/\[attachment: [^\]\n]{1,100}\]/g, ' ').trim();
  const input: AnswerInput = { ...rawInput, question: withoutLeadIn(written || plain) };
  const now = deps.now?.() ?? new Date();
  const stored = input.context ?? {};
  const catalogue: TenantCatalogue | undefined = deps.catalogue ? await deps.catalogue.catalogue(input.tenantId, input.kbVersion) : undefined;
  const u: Understanding = understand({
    tenantId: input.tenantId,
    text: input.question,
    ...((stored.lang ?? input.langHint) ? { langHint: stored.lang ?? input.langHint } : {}),
    ...(catalogue ? { catalogue } : {}),
    now,
  });
  if (!deps.booking || !catalogue) return policy(deps, input, u, catalogue, stored);
  const outcome = await bookingTurn(deps.booking, {
    tenantId: input.tenantId,
    text: input.question,
    understanding: u,
    catalogue,
    context: stored,
    channel: input.channel ?? 'web',
    ...(input.conversationId ? { conversationId: input.conversationId } : {}),
    ...(input.identity ? { identity: input.identity } : {}),
  });
  const context = withBooking(stored, outcome.booking, outcome.contact);
  if (outcome.handled) return dialogAnswer(input, u, context, outcome);
  const answer = await policy(deps, input, u, catalogue, context);
  return answer.context.booking ? offerToContinue(answer, answer.context.booking) : answer;
}

/** The context with the booking draft and the known contact as the dialog left them (absent ones removed). */
function withBooking(context: ConversationContext, booking: BookingDraft | undefined, contact: KnownContact | undefined): ConversationContext {
  const { booking: _b, contact: _c, ...rest } = context;
  return { ...rest, ...(booking ? { booking } : {}), ...(contact ? { contact } : {}) };
}

/** `quoted`: the texts of the passages the reply answers from (the business's own words, see `guard`). */
type Reply = (a: Omit<Answer, 'lang' | 'intent' | 'entities' | 'handoffRequested'> & { handoffRequested?: boolean }, quoted?: readonly string[]) => Answer;

/** The reply helpers of one turn: `keep` carries the context forward (dropping a pending offer unless renewed). */
function helpers(input: AnswerInput, u: Understanding, context: ConversationContext): { reply: Reply; keep: (patch: Partial<ConversationContext>) => ConversationContext } {
  const lang = u.lang;
  const s = strings(lang);
  const business = plainText(input.businessName);
  const entities = { ...(u.service ? { service: u.service.id } : {}), ...(u.staff ? { staff: u.staff.id } : {}), ...(u.when ? { when: u.when } : {}) };
  const base = { lang, intent: u.intent, entities, handoffRequested: false };
  const keep = (patch: Partial<ConversationContext>): ConversationContext => {
    const next: ConversationContext = { ...context, lang, ...(u.service ? { lastServiceId: u.service.id } : {}), ...patch };
    if (patch.pendingOffer === undefined) {
      const { pendingOffer: _dropped, ...rest } = next;
      return rest;
    }
    return next;
  };
  const reply: Reply = (a, quoted = []) => guard({ ...base, ...a }, s.dontKnow(business), quoted);
  return { reply, keep };
}

/** A turn the booking dialog answered. */
function dialogAnswer(input: AnswerInput, u: Understanding, context: ConversationContext, outcome: Extract<DialogOutcome, { handled: true }>): Answer {
  const { reply, keep } = helpers(input, u, context);
  return reply({
    text: outcome.text,
    answered: true,
    confidence: 1,
    sources: [],
    ...(outcome.quickReplies.length > 0 ? { quickReplies: outcome.quickReplies } : {}),
    kind: 'booking',
    handoffOffered: outcome.offersPerson === true,
    context: keep({ unansweredStreak: 0, ...(outcome.offersPerson ? { pendingOffer: 'handoff' as const } : {}) }),
  });
}

/** An answer given in the middle of a booking: followed by "shall we continue?", the draft kept (paused). */
function offerToContinue(answer: Answer, draft: BookingDraft): Answer {
  if (!answer.answered || answer.handoffRequested || answer.context.pendingOffer !== undefined) return answer;
  const t = dialogText(answer.lang);
  return {
    ...answer,
    text: `${answer.text}\n\n${t.continueBooking}`,
    quickReplies: [
      { label: t.continueYes, text: t.continueYes },
      { label: t.continueNo, text: t.continueNo },
    ],
    context: { ...answer.context, booking: { ...draft, paused: true } },
  };
}

/** A message that is only attachments, as the channels store it ("[attachment: image/jpeg]", one a line). */
const ATTACHMENTS_ONLY = /^\s*(?:\[attachment: [^\]\n]{1,100}\]\s*)+$/;

/** The answering policy for everything but the booking dialog's turns. */
async function policy(deps: AnswerDeps, input: AnswerInput, u: Understanding, catalogue: TenantCatalogue | undefined, context: ConversationContext): Promise<Answer> {
  const lang = u.lang;
  const s = strings(lang);
  const business = plainText(input.businessName);
  const streak = context.unansweredStreak ?? 0;
  const { reply, keep } = helpers(input, u, context);

  const handoff = (reason: string): Answer =>
    reply({
      text: s.handoffRequested(business),
      answered: true,
      confidence: 1,
      sources: [],
      kind: 'handoff',
      handoffOffered: true,
      handoffRequested: true,
      handoffReason: reason,
      context: keep({ unansweredStreak: 0 }),
    });

  // Strong frustration hands over at once (a plain complaint is offered a person below).
  if ((u.intent === 'complaint' || u.intent === 'question' || u.intent === 'out_of_scope' || u.intent === 'deny') && stronglyFrustrated(input.question)) {
    return handoff('strong frustration');
  }

  // A photo, voice note or file and nothing else (WhatsApp, Messenger: core/channels/inbound.ts storedTextOf): no
  // question to answer or count as unanswered (two such were handed to a person as unanswerable); say so, and offer
  // a person, who sees it in the inbox.
  if (ATTACHMENTS_ONLY.test(input.question)) {
    return reply({ text: s.attachmentOnly, answered: true, confidence: 1, sources: [], kind: 'small_talk', handoffOffered: true, quickReplies: offerPerson(lang), context: keep({}) });
  }

  switch (u.intent) {
    case 'greeting':
      return reply({ text: s.greeting(business), answered: true, confidence: 1, sources: [], kind: 'small_talk', handoffOffered: false, context: keep({}) });
    case 'thanks':
      return reply({ text: s.thanks, answered: true, confidence: 1, sources: [], kind: 'small_talk', handoffOffered: false, context: keep({}) });
    case 'goodbye':
      return reply({ text: s.goodbye, answered: true, confidence: 1, sources: [], kind: 'small_talk', handoffOffered: false, context: keep({}) });
    case 'human':
      return handoff('customer asked for a person');
    case 'affirm':
      if (context.pendingOffer === 'handoff') return handoff('customer accepted the offer of a person');
      return reply({ text: s.affirmNoOffer, answered: true, confidence: 1, sources: [], kind: 'small_talk', handoffOffered: false, context: keep({}) });
    case 'deny':
      return reply({ text: s.denyOffer, answered: true, confidence: 1, sources: [], kind: 'small_talk', handoffOffered: false, context: keep({}) });
    case 'complaint':
      return reply({
        text: s.complaint(business),
        answered: true,
        confidence: 1,
        sources: [],
        quickReplies: [{ label: s.yes, text: s.talkToPersonText }, { label: s.no, text: s.no }],
        kind: 'complaint',
        handoffOffered: true,
        context: keep({ pendingOffer: 'handoff' }),
      });
    case 'book':
    case 'reschedule':
    case 'cancel':
    case 'my_bookings':
      return bookingFallback(deps, input, u, catalogue, reply, keep);
    case 'question':
    case 'out_of_scope':
      break;
  }

  // A question: retrieve, with the conversation's topic when it is a follow-up. A message that points
  // back ("how much is it?") is searched with the topic only: alone it is too vague to answer safely.
  // A very short one ("parking?") is searched as it is first, then with the topic.
  const lastService = catalogue?.services.find((sv) => sv.id === context.lastServiceId);
  const topic = u.service ? undefined : (lastService?.name ?? context.lastTopic);
  const backRef = topic !== undefined && pointsBack(input.question);
  const followUp = backRef || (topic !== undefined && terms(input.question).length <= 1);
  const ownFirst = hasFaqsIn(catalogue, lang);
  let found = await retrieve(deps, input.tenantId, backRef ? `${input.question} ${topic}` : input.question, lang, input.kbVersion, undefined, ownFirst);
  if (!backRef && followUp && !confident(found.hits[0], found.hits)) {
    const withTopic = await retrieve(deps, input.tenantId, `${input.question} ${topic}`, lang, input.kbVersion, undefined, ownFirst);
    if (confident(withTopic.hits[0], withTopic.hits)) found = withTopic;
  }
  let switched = false;
  if (backRef && !refersBack(words(input.question)) && terms(input.question).length > 0) ({ found, switched } = await newTopicOrNot(deps, input, lang, found, ownFirst));
  // "What are the pool's opening hours?": what the knowledge base says of the pool opening, searched for as such (the
  // question's own words rank the business's opening hours first, and the pool's passage may not say "hours").
  const hoursOf = asksOpeningHours(input.question) ? hoursAskedOf(input.question, business) : [];
  if (hoursOf.length > 0) {
    const focused = await retrieve(deps, input.tenantId, `${hoursOf.join(' ')} ${lang === 'es' ? 'abre' : 'open'}`, lang, input.kbVersion, undefined, ownFirst);
    if (confident(focused.hits[0], focused.hits)) found = focused;
  }
  const top = found.hits[0];
  // "What are your opening hours?" with no FAQ or section about them: the hours the knowledge base gives (Services &
  // hours), rather than "I don't know" or a passage that names opening hours in passing ("…outside opening hours…").
  // Not the hours of something else the business has ("the pool's opening hours", "horario de la piscina"): those are
  // answered from a passage that names it, or not at all (never the business's hours, nor "…outside opening hours…").
  const hours = catalogue && asksOpeningHours(input.question) && hoursOf.length === 0 ? describeOpeningHours(catalogue.hours, lang) : undefined;
  const hoursReply = (): Answer | undefined =>
    hours ? reply({ text: s.openingHours(hours), answered: true, confidence: 1, sources: [], kind: 'answer', handoffOffered: false, context: keep({ unansweredStreak: 0 }) }) : undefined;
  // "How much is balayage?", "how long does a full colour take?", "¿cuánto cuesta el tinte?" with no FAQ about it:
  // the price, length and deposit of the service the catalogue (Services & hours) gives, and its description.
  const asked = catalogue?.services.find((sv) => sv.id === u.service?.id);
  const serviceReply = (): Answer | undefined =>
    asked && asksPriceOrLength(input.question)
      ? reply(
          { text: [serviceLine(asked, lang), asked.description].filter((line) => line.length > 0).join('\n'), answered: true, confidence: 1, sources: [], kind: 'answer', handoffOffered: false, context: keep({ unansweredStreak: 0 }) },
          [asked.description],
        )
      : undefined;
  const unanswered = (): Answer => {
    const fromHours = hoursReply() ?? serviceReply();
    if (fromHours) return fromHours;
    const nextStreak = streak + 1;
    const confidence = top ? confidenceOf(top, found.hits[1]) : 0;
    // The second unanswered question in a row: a person takes over (the caller publishes handoff.requested).
    if (nextStreak >= UNANSWERED_BEFORE_HANDOFF) {
      return reply({
        text: s.stillUnanswered(business),
        answered: false,
        confidence,
        sources: [],
        kind: 'handoff',
        handoffOffered: true,
        handoffRequested: true,
        handoffReason: 'could not answer twice',
        context: keep({ unansweredStreak: 0 }),
      });
    }
    return reply({
      text: u.intent === 'out_of_scope' ? s.outOfScope(business) : s.dontKnow(business),
      answered: false,
      confidence,
      sources: [],
      quickReplies: [...offerPerson(lang), ...suggestions(found.hits, u.intent, lang)],
      kind: 'unknown',
      handoffOffered: true,
      context: keep({ unansweredStreak: nextStreak, pendingOffer: 'handoff' }),
    });
  };
  // The extractive answerer answers only above the answering bar; a model that judges relevance itself also sees
  // candidates below it, and decides (citing nothing when they do not answer).
  // The hours of the pool: only passages that name the pool (the business's own hours FAQ ranks high for "opening hours").
  const hits = hoursOf.length > 0 ? found.hits.filter((h) => hoursOf.some((w) => namesWord(`${h.passage.title} ${h.passage.text}`, w))) : found.hits;
  const usable = usablePassages(hits, deps.model.judgesRelevance === true);
  if (!top || usable.length === 0) return unanswered();
  const best = usable[0]?.passage;
  if (hours && best && best.kind === 'document' && !asksOpeningHours(best.title)) return hoursReply() ?? unanswered();
  const composed = await deps.model.compose({
    question: input.question,
    lang,
    businessName: business,
    passages: usable,
    ...(found.query !== input.question ? { searchQuery: found.query } : {}),
    ...(input.history ? { history: input.history } : {}),
    ...(input.onDelta ? { onDelta: input.onDelta } : {}),
  });
  const used = new Set(composed.usedPassageIds);
  const cited = usable.filter((h) => used.has(h.passage.id));
  const sources: SourceRef[] = cited.map((h) => ({ id: h.passage.id, title: h.passage.title, kind: h.passage.kind }));
  // A language model that found no answer in the passages cites none: that is an unanswered question.
  if (sources.length === 0) return unanswered();
  return reply(
    {
      text: composed.text,
      answered: true,
      confidence: confidenceOf(top, found.hits[1]),
      sources,
      kind: 'answer',
      handoffOffered: false,
      // A follow-up that switched topic leaves the service behind ("what about parking?" after whitening).
      context: withoutOldService(
        keep({ unansweredStreak: 0, lastTopic: found.query.slice(0, 300), ...(!u.service && lastService && followUp && !switched ? { lastServiceId: lastService.id } : {}) }),
        switched && !u.service,
      ),
    },
    cited.map((h) => h.passage.text),
  );
}

/**
 * "How much is…", "how long does… take", "what does… cost", "¿cuánto cuesta…?", "¿cuánto dura…?": a service's price
 * or length. Not "do you take insurance for…", "how long after whitening can I eat?", "how long does whitening last?"
 * (how long its effect lasts), "¿vale la pena…?" or "¿dura mucho…?": those the service's line does not answer.
 */
export function asksPriceOrLength(text: string): boolean {
  return /\b(?:how much|prices?|costs?|charges?|fees?|duration|minutes)\b/i.test(text) ||
    /\bhow long\b(?![^?.!]*\b(?:after|before|until|since|wait|waiting|should|must|can|could|have to|do i|lasts?|stays?|keeps?)\b)/i.test(text) ||
    /(?<!\p{L})(?:precios?|tarifas?|duraci[oó]n|minutos|cuesta|cuestan|tarda|tardan|qu[eé] tiempo|cu[aá]nto (?:cuesta|cuestan|vale|valen|sale|salen|cobr\p{L}*|dura|duran|tarda|tardan|es|son|tiempo)|cu[aá]nto\s*(?=[?!.]|$))(?!\p{L})/iu.test(text);
}

/** Without the booking capability: what the service costs, what was asked for, and how to book — never availability. */
async function bookingFallback(
  deps: AnswerDeps,
  input: AnswerInput,
  u: Understanding,
  catalogue: TenantCatalogue | undefined,
  reply: Reply,
  keep: (patch: Partial<ConversationContext>) => ConversationContext,
): Promise<Answer> {
  const lang = u.lang;
  const s = strings(lang);
  const lines: string[] = [];
  let sources: SourceRef[] = [];
  const phone = catalogue?.business.phone;
  const email = catalogue?.business.email;
  if (u.intent === 'book') {
    lines.push(s.bookingIntro);
    const service = catalogue?.services.find((sv) => sv.id === u.service?.id);
    if (service) lines.push(serviceLine(service, lang));
    else if (catalogue && catalogue.services.length > 0) {
      lines.push(s.servicesList, ...catalogue.services.slice(0, 8).map((sv) => `- ${serviceLine(sv, lang)}`));
    }
    const member = catalogue?.staff.find((m) => m.id === u.staff?.id);
    if (member) lines.push(s.withStaff(member.name));
    const when = u.when ? describeWhen(u.when, lang) : undefined;
    if (when) lines.push(s.noted(when));
    if (phone && email) lines.push(s.howToBook(phone, email));
  } else {
    lines.push(u.intent === 'my_bookings' ? s.myBookingsIntro : s.changeIntro);
    // The tenant's own policy on changes and cancellations, when its knowledge base has one.
    if (u.intent !== 'my_bookings') {
      const policyQuery = u.intent === 'cancel' ? 'cancel appointment cancellation policy notice' : 'change move appointment time notice';
      const hits = await deps.index.search(input.tenantId, policyQuery, 3, input.kbVersion !== undefined ? { kbVersion: input.kbVersion } : {});
      const top = hits[0];
      if (top && top.coverage >= MIN_COVERAGE) {
        // The query is ours (policy words), so lexical coverage alone is the right bar here.
        const composed = await deps.model.compose({ question: policyQuery, lang, businessName: input.businessName, passages: [top] });
        if (composed.text) lines.push(composed.text);
        sources = [{ id: top.passage.id, title: top.passage.title, kind: top.passage.kind }].filter((src) => composed.usedPassageIds.includes(src.id));
      }
    }
    if (phone && email) lines.push(u.intent === 'my_bookings' ? s.howToCheck(phone, email) : s.howToChange(phone, email));
  }
  return reply({ text: lines.join('\n'), answered: true, confidence: 1, sources, kind: 'booking', handoffOffered: false, context: keep({ unansweredStreak: 0 }) });
}

/** Every reply passes here: plain text only, and nothing that must not leave the system. */
function guard(answer: Answer, fallback: string, quoted: readonly string[]): Answer {
  const text = plainText(answer.text);
  if (leaksSecrets(text, quoted.join('\n'))) {
    return { ...answer, text: plainText(fallback), answered: false, sources: [], kind: 'unknown', handoffOffered: true, quickReplies: offerPerson(answer.lang) };
  }
  return { ...answer, text };
}

/** Whether a text has the word, or a word starting with it ("pool" in "pools", "piscina" in "piscinas"). */
function namesWord(text: string, word: string): boolean {
  return new RegExp(`(?<![\\p{L}\\p{N}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'iu').test(text);
}
