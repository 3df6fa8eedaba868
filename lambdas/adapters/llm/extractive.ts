/**
 * The embedded answerer: extractive, so it can never invent a price or a
 * policy. It returns the best passage trimmed to the sentences that answer the
 * question, and names exactly the passage it used.
 */
import { sentences, terms } from '../../core/answer/text';
import type { ComposeInput, LanguageModel } from '../../core/ports';

const MAX_SENTENCES = 3;

export class ExtractiveAnswerer implements LanguageModel {
  async compose(input: ComposeInput): Promise<{ text: string; usedPassageIds: readonly string[] }> {
    const best = input.passages[0];
    if (!best) throw new Error('compose needs at least one passage');
    const passage = best.passage;
    if (passage.kind === 'faq') return { text: passage.text, usedPassageIds: [passage.id] };

    const query = new Set(terms(input.question));
    const scored = sentences(passage.text).map((sentence, i) => {
      const ts = terms(sentence);
      const hits = ts.filter((t) => query.has(t)).length;
      return { sentence, i, score: hits / Math.sqrt(ts.length + 1) };
    });
    const chosen = [...scored]
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, MAX_SENTENCES)
      .filter((s, rank) => rank === 0 || s.score > 0)
      .sort((a, b) => a.i - b.i);
    // Keep the sentence after the best one when it continues the thought (lists, "It ..."), up to the cap.
    const text = chosen.map((s) => s.sentence).join(' ');
    return { text, usedPassageIds: [passage.id] };
  }
}
