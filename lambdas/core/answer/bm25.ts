/**
 * BM25F over passages: the title (FAQ question or section heading) is boosted
 * over the body. Returns, besides the score, the share of the query's
 * information (idf mass) that the passage covers — the basis of the
 * "answer or say I don't know" decision.
 */
import type { Passage } from './passages';
import { terms } from './text';

interface FieldStats {
  readonly tf: Map<string, number>;
  readonly length: number;
}

interface IndexedPassage {
  readonly passage: Passage;
  readonly title: FieldStats;
  readonly body: FieldStats;
}

export interface Hit {
  readonly passage: Passage;
  readonly score: number;
  /** 0..1: idf-weighted share of the query terms found in the passage. */
  readonly coverage: number;
}

const K1 = 1.2;
const TITLE_WEIGHT = 3;
const BODY_WEIGHT = 1;
const B_TITLE = 0.5;
const B_BODY = 0.75;

function fieldStats(text: string): FieldStats {
  const tf = new Map<string, number>();
  const ts = terms(text);
  for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
  return { tf, length: ts.length };
}

export class Bm25Index {
  private readonly docs: IndexedPassage[];
  private readonly df = new Map<string, number>();
  private readonly postings = new Map<string, number[]>();
  private readonly avgTitle: number;
  private readonly avgBody: number;

  constructor(passages: readonly Passage[]) {
    this.docs = passages.map((passage) => ({ passage, title: fieldStats(passage.title), body: fieldStats(passage.text) }));
    this.docs.forEach((d, i) => {
      for (const t of new Set([...d.title.tf.keys(), ...d.body.tf.keys()])) {
        this.df.set(t, (this.df.get(t) ?? 0) + 1);
        const list = this.postings.get(t);
        if (list) list.push(i);
        else this.postings.set(t, [i]);
      }
    });
    const n = Math.max(this.docs.length, 1);
    this.avgTitle = this.docs.reduce((s, d) => s + d.title.length, 0) / n || 1;
    this.avgBody = this.docs.reduce((s, d) => s + d.body.length, 0) / n || 1;
  }

  get size(): number {
    return this.docs.length;
  }

  idf(term: string): number {
    const n = this.docs.length;
    const df = this.df.get(term) ?? 0;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  search(query: string, k = 5): Hit[] {
    const qTerms = [...new Set(terms(query))];
    if (qTerms.length === 0 || this.docs.length === 0) return [];
    const idfs = new Map(qTerms.map((t) => [t, this.idf(t)] as const));
    const totalIdf = [...idfs.values()].reduce((a, b) => a + b, 0);
    const scores = new Map<number, { score: number; covered: number }>();
    for (const t of qTerms) {
      const idf = idfs.get(t) ?? 0;
      for (const i of this.postings.get(t) ?? []) {
        const d = this.docs[i];
        if (!d) continue;
        const tfTitle = d.title.tf.get(t) ?? 0;
        const tfBody = d.body.tf.get(t) ?? 0;
        const weighted =
          (TITLE_WEIGHT * tfTitle) / (1 - B_TITLE + (B_TITLE * d.title.length) / this.avgTitle) +
          (BODY_WEIGHT * tfBody) / (1 - B_BODY + (B_BODY * d.body.length) / this.avgBody);
        const entry = scores.get(i) ?? { score: 0, covered: 0 };
        entry.score += (idf * weighted) / (K1 + weighted);
        entry.covered += idf;
        scores.set(i, entry);
      }
    }
    return [...scores.entries()]
      .map(([i, s]) => ({ passage: (this.docs[i] as IndexedPassage).passage, score: s.score, coverage: totalIdf > 0 ? s.covered / totalIdf : 0 }))
      .sort((a, b) => b.score - a.score || a.passage.id.localeCompare(b.passage.id))
      .slice(0, k);
  }
}
