/**
 * The embedded answerer: extractive, so it can never invent a price or a
 * policy. An FAQ passage is returned whole; a document passage is trimmed to
 * the sentences that answer the question (with the list that follows a
 * sentence ending in ":"), in their original order. It names exactly the
 * passage it used. It cannot translate: when the customer writes in Spanish and
 * the passage is English, the reply says so in Spanish before quoting it.
 */
import { detectLanguage, strings } from '../../core/answer/language';
import { terms } from '../../core/answer/text';
import type { ComposeInput, LanguageModel } from '../../core/ports';

const MAX_SENTENCES = 3;
const MAX_LIST_ITEMS = 8;

interface Unit {
  readonly text: string;
  /** A list item ("- …", "1. …"). */
  readonly item: boolean;
}

/**
 * Prose split into sentences and list items. A full stop only ends a sentence
 * when whitespace or the end follows, so "feedback@example.ie", "€1.50" and
 * "Dr. X" stay whole.
 */
export function units(text: string): Unit[] {
  const out: Unit[] = [];
  for (const raw of text.split(/\n+/)) {
    const item = /^\s*(?:[-*•]|\d+\.)\s+/.test(raw);
    const line = raw.replace(/^\s*(?:[-*•]|\d+\.)\s+/, '').replace(/^#+\s+/, '').replace(/\*\*|__/g, '').trim();
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

export class ExtractiveAnswerer implements LanguageModel {
  async compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }> {
    const best = input.passages[0];
    if (!best) throw new Error('compose needs at least one passage');
    const passage = best.passage;
    const note = input.lang === 'es' && detectLanguage(passage.text, 'en') === 'en' ? `${strings('es').kbInOtherLanguage}\n` : '';
    if (passage.kind === 'faq') return { text: `${note}${passage.text}`, usedPassageIds: [passage.id] };

    const query = new Set(terms(input.searchQuery ? `${input.question} ${input.searchQuery}` : input.question));
    const all = units(passage.text);
    const scored = all.map((unit, i) => {
      const ts = terms(unit.text);
      const hits = new Set(ts.filter((t) => query.has(t))).size;
      return { unit, i, score: hits / Math.sqrt(ts.length + 1) };
    });
    const ranked = [...scored].sort((a, b) => b.score - a.score || a.i - b.i);
    const picked = new Set<number>();
    for (const s of ranked.slice(0, MAX_SENTENCES)) {
      if (picked.size > 0 && s.score === 0) break;
      picked.add(s.i);
      // "Please bring the following:" is only an answer with the list after it.
      if (s.unit.text.endsWith(':')) {
        for (let j = s.i + 1, n = 0; j < all.length && all[j]?.item && n < MAX_LIST_ITEMS; j++, n++) picked.add(j);
      }
    }
    const text = [...picked]
      .sort((a, b) => a - b)
      .map((i) => (all[i]?.item ? `- ${all[i]?.text ?? ''}` : (all[i]?.text ?? '')))
      .join('\n')
      .replace(/\n(?!- )/g, ' ');
    return { text: `${note}${text}`, usedPassageIds: [passage.id] };
  }
}
