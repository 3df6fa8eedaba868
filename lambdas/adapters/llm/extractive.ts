/**
 * The embedded answerer: extractive, so it can never invent a price or a
 * policy. An FAQ passage is returned whole; a document passage is trimmed to
 * the sentences that answer the question (with the list that follows a
 * sentence ending in ":", the lead-in of a list item it keeps, and the
 * qualifiers that follow a sentence it keeps: "This does not apply to…"), in
 * their original order. It names exactly the passage it used. It cannot translate: when the customer writes in Spanish and
 * the passage is English, the reply says so in Spanish before quoting it.
 */
import { detectLanguage, strings } from '../../core/answer/language';
import type { PlainFormat } from '../../core/answer/passages';
import { fold, terms } from '../../core/answer/text';
import type { ComposeInput, LanguageModel } from '../../core/ports';

const MAX_SENTENCES = 3;
const MAX_LIST_ITEMS = 8;

interface Unit {
  readonly text: string;
  /** A list item ("- …", "1. …"). */
  readonly item: boolean;
}

/** `[text](url)` and `![alt](url)`, with an optional "title". */
const MARKDOWN_LINK = /(!?)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
/** A table's separator row ("|---|:--:|") or a thematic break ("---", "***", "___"). */
const MARKDOWN_RULE = /^\s*(?:\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?|(?:[-*_]\s*){3,})\s*$/;

/**
 * A line of Markdown as a customer should read it (the widget and the channels show plain text): a link as its text
 * and address, "text (https://…)"; an image as its alt text; a table row as its cells ("Bicycle: €2"); no quote
 * marker or code ticks; separator rows and rules dropped (undefined).
 */
function markdownLine(line: string): string | undefined {
  if (MARKDOWN_RULE.test(line)) return undefined;
  // A quote marker, not "> 65s get 10% off" (more than).
  let out = line.replace(/^\s*>(?!\s*\d)\s?/, '');
  if (/^\s*\|.*\|\s*$/.test(out)) {
    const cells = out.trim().slice(1, -1).split('|').map((c) => c.trim()).filter(Boolean);
    out = cells.join(cells.length === 2 ? ': ' : ', ');
  }
  return out
    .replace(MARKDOWN_LINK, (_m, image: string, label: string, url: string) => (image ? label : label && label !== url ? `${label} (${url})` : url))
    .replace(/`([^`]+)`/g, '$1');
}

/**
 * Prose split into sentences and list items. A full stop only ends a sentence
 * when whitespace or the end follows, so "feedback@example.ie", "€1.50" and
 * "Dr. X" stay whole. Markdown (links, tables, rules, heading marks, emphasis) is
 * read as such only in a Markdown passage; a plain-text or PDF one (`format`) is
 * quoted as written: "# of visits", "| A | B |" and "---" are its words.
 */
export function units(text: string, format?: PlainFormat): Unit[] {
  const out: Unit[] = [];
  for (const written of text.split(/\n+/)) {
    const raw = format === undefined ? markdownLine(written) : written;
    if (raw === undefined) continue;
    const item = /^\s*(?:[-*•]|\d+\.)\s+/.test(raw);
    const unlisted = raw.replace(/^\s*(?:[-*•]|\d+\.)\s+/, '');
    const line = (format === undefined ? unlisted.replace(/^#+\s+/, '').replace(/\*\*|__/g, '') : unlisted).trim();
    if (!line) continue;
    if (item) {
      out.push({ text: line, item: true });
      continue;
    }
    // A title's dot ("Dr. Ruiz") ends no sentence: held as a one-dot leader while splitting.
    const held = line.replace(/\b(Dr|Dra|Mr|Mrs|Ms|Prof|Sr|Sra|Srta|St)\.(?=\s)/g, '$1\u2024');
    for (const s of held.match(/(?:[^.!?]|[.!?](?!\s|$))+(?:[.!?]+(?=\s|$)|$)/g) ?? []) {
      const sentence = s.trim().replace(/\u2024/g, '.');
      if (sentence) out.push({ text: sentence, item: false });
    }
  }
  return out;
}

/**
 * Openers of a sentence that restricts, negates or conditions the one before it ("However, …", "Unless …",
 * "Note: …", "Sin embargo, …", "Salvo …"), matched on folded text (lower case, no accents).
 */
const QUALIFIER_OPENER =
  /^(?:however|but|except|excepting|excluding|exclusions?|exceptions?|unless|only|otherwise|note\s*:|note that|nb\b|please note|important\s*:|provided|as long as|subject to|apart from|other than|(?:some\s+)?(?:restrictions|conditions|terms(?: and conditions)?) apply|sin embargo|excepto|salvo|a menos que|a no ser que|solo|solamente|unicamente|pero|nota\s*:|ten(?:ga|ed)? en cuenta|importante\s*:|excepciones|no se aplica|no aplica|no incluye|siempre que|siempre y cuando|de lo contrario|en caso contrario)(?![\p{L}\p{N}])/u;

/**
 * A pronoun referring back ("This", "It", "These conditions", "Esta oferta") followed, within a few words, by
 * what restricts it: "does not apply", "is only valid", "cannot be refunded", "no se aplica", "solo es válida".
 */
const QUALIFYING_REFERENCE =
  /^(?:this|that|these|those|it|they|such|esto|eso|esta|este|estas|estos|esa|ese|esas|esos|ello)(?:'s|'re)?(?:\s+[\p{L}\p{N}%€$.,-]+){0,3}?\s+(?:does not|doesn't|do not|don't|did not|is not|isn't|are not|aren't|was not|cannot|can't|can not|will not|won't|may not|must not|no longer|never|only|excludes?|excluding|except|is limited|are limited|is subject|are subject|applies only|apply only|must|expires?|no|solo|solamente|unicamente|excepto|salvo|excluye|se limita|caduca|debe)\b/u;

/**
 * Whether a sentence qualifies the one before it: a reply that kept "We refund deposits within 5 working days."
 * but dropped "This does not apply to late cancellations." would state a policy that is wrong by omission.
 */
export function qualifies(sentence: string): boolean {
  const text = fold(sentence).replace(/[\u2018\u2019]/g, "'").replace(/^[\s("'\u201c\u00a1\u00bf*_-]+/, '');
  // Folding makes the verb "Está(n)" ("Está a solo cinco minutos") look like the pronoun "esta": not a reference.
  const verb = /^[\s("'\u00a1\u00bf]*est\u00e1n?(?!\p{L})/iu.test(sentence.normalize('NFC'));
  return QUALIFIER_OPENER.test(text) || (!verb && QUALIFYING_REFERENCE.test(text));
}

/** The first answer's sentences at most: the best one with the sentence it qualifies and its own qualifiers. */
const MAX_FIRST_GROUP = MAX_SENTENCES + 2;

/**
 * The best sentence's group, cut to MAX_FIRST_GROUP around it: never without the best sentence itself, and
 * keeping the sentence it restricts (the group's first) before the qualifiers in between.
 */
function aroundBest(group: readonly number[], best: number): number[] {
  if (group.length <= MAX_FIRST_GROUP) return [...group];
  const at = group.indexOf(best);
  const before = at > 0 ? [group[0] as number] : [];
  return [...before, ...group.slice(at, at + MAX_FIRST_GROUP - before.length)];
}

/**
 * The qualifiers that directly follow unit `i`, a chain of them ("However, …. Only …."): prose sentences only, a
 * list item is the next point rather than a condition on this one.
 */
function qualifiersAfter(all: readonly Unit[], i: number): number[] {
  const out: number[] = [];
  for (let j = i + 1; j < all.length && !all[j]?.item && qualifies(all[j]?.text ?? ''); j++) out.push(j);
  return out;
}

/**
 * A qualifier ranked on its own words ("This does not apply to emergencies.") says nothing without the sentence
 * it restricts: that sentence, and any qualifiers between them, come first.
 */
function antecedentOf(all: readonly Unit[], i: number): number[] {
  if (all[i]?.item || !qualifies(all[i]?.text ?? '')) return [];
  let j = i - 1;
  while (j >= 0 && !all[j]?.item && qualifies(all[j]?.text ?? '')) j--;
  if (j < 0 || all[j]?.item) return [];
  return Array.from({ length: i - j }, (_, n) => j + n);
}

/** "Please bring the following:" (or "This does not apply to:") is only an answer with the list after it. */
function listAfter(all: readonly Unit[], i: number): number[] {
  const out: number[] = [];
  if (!all[i]?.text.endsWith(':')) return out;
  for (let j = i + 1; j < all.length && all[j]?.item && out.length < MAX_LIST_ITEMS; j++) out.push(j);
  return out;
}

/**
 * The lead-in of list item `i`: the line ending in ":" just above its list ("After an extraction, avoid:"). Without
 * it, "- hot drinks" reads as a recommendation rather than something to avoid.
 */
function leadInOf(all: readonly Unit[], i: number): number | undefined {
  let j = i;
  while (j >= 0 && all[j]?.item) j--;
  return j >= 0 && j < i && all[j]?.text.endsWith(':') ? j : undefined;
}

export class ExtractiveAnswerer implements LanguageModel {
  async compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }> {
    const best = input.passages[0];
    if (!best) throw new Error('compose needs at least one passage');
    const passage = best.passage;
    const note = input.lang === 'es' && detectLanguage(passage.text, 'en') === 'en' ? `${strings('es').kbInOtherLanguage}\n` : '';
    if (passage.kind === 'faq') return { text: `${note}${passage.text}`, usedPassageIds: [passage.id] };

    const query = new Set(terms(input.searchQuery ? `${input.question} ${input.searchQuery}` : input.question));
    const all = units(passage.text, passage.format);
    const scored = all.map((unit, i) => {
      const ts = terms(unit.text);
      const hits = new Set(ts.filter((t) => query.has(t))).size;
      return { unit, i, score: hits / Math.sqrt(ts.length + 1) };
    });
    const ranked = [...scored].sort((a, b) => b.score - a.score || a.i - b.i);
    const picked = new Set<number>();
    // The sentences that took one of the MAX_SENTENCES places: each one ranked in turn, and each qualifier kept with one.
    const placed = new Set<number>();
    for (const s of ranked) {
      if (placed.size >= MAX_SENTENCES || (picked.size > 0 && s.score === 0)) break;
      if (placed.has(s.i)) continue;
      const group = [...antecedentOf(all, s.i), s.i, ...qualifiersAfter(all, s.i)].filter((j) => !placed.has(j));
      // A later sentence is better left out than stated without what restricts it (a shorter one may still fit); the
      // best one is always answered, with its context even past the cap (up to MAX_FIRST_GROUP sentences).
      if (placed.size > 0 && placed.size + group.length > MAX_SENTENCES) continue;
      for (const i of placed.size === 0 ? aroundBest(group, s.i) : group) {
        placed.add(i);
        for (const j of [i, ...listAfter(all, i)]) picked.add(j);
      }
      const leadIn = s.unit.item ? leadInOf(all, s.i) : undefined;
      if (leadIn !== undefined) picked.add(leadIn);
    }
    const text = [...picked]
      .sort((a, b) => a - b)
      .map((i) => (all[i]?.item ? `- ${all[i]?.text ?? ''}` : (all[i]?.text ?? '')))
      .join('\n')
      .replace(/\n(?!- )/g, ' ');
    return { text: `${note}${text}`, usedPassageIds: [passage.id] };
  }
}
