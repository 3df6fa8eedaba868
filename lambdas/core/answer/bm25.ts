/**
 * BM25F over passages: the title (FAQ question or section heading) is boosted
 * over the body. Returns, besides the score, the share of the query's
 * information (idf mass) that the passage covers — the basis of the
 * "answer or say I don't know" decision.
 *
 * Built for thousands of passages per tenant: postings are typed arrays holding,
 * per (term, passage), the saturated field-weighted term frequency, so scoring a
 * query is one pass over its terms' postings and a top-k selection.
 *
 * Query terms missing from the tenant's vocabulary get tolerant alternatives:
 * two adjacent words joined ("wi fi" → "wifi", "git hub" → "github") and, for
 * words of 5+ letters, vocabulary terms one edit away ("parkign" → "parking").
 * An alternative counts for its query term at a discount, in the score and in
 * coverage: a joined pair at JOINED_FACTOR, a one-edit variant at only
 * TYPO_FACTOR — a variant may be another word ("brakes" ~ "braces"), so it must
 * not make a question look answered on its own.
 */
import { questionText, type Passage } from './passages';
import { stem, terms, words } from './text';

export interface Hit {
  readonly passage: Passage;
  readonly score: number;
  /** 0..1: idf-weighted share of the query terms found in the passage. */
  readonly coverage: number;
}

/** BM25F parameters. The defaults were chosen on the StackFAQ benchmark and the demo knowledge base (test/bench/retrieval.ts). */
export interface Bm25Options {
  /** Term-frequency saturation. @default 1.2 */
  readonly k1?: number;
  /** Weight of a title (question / heading) occurrence against a body one. @default 3 */
  readonly titleWeight?: number;
  /** Length normalisation of titles. @default 0.5 */
  readonly bTitle?: number;
  /** Length normalisation of bodies. @default 0.75 */
  readonly bBody?: number;
}

/** One term of the query and what may stand for it in a passage. */
export interface QueryTerm {
  readonly term: string;
  /** The term itself first (factor 1), then tolerant alternatives (factor < 1). */
  readonly alternatives: readonly { readonly term: string; readonly factor: number }[];
}

/** Every passage that matches the query, as parallel sparse arrays (passage positions in insertion order). */
export interface LexicalMatch {
  readonly docs: readonly number[];
  readonly scores: readonly number[];
  readonly coverages: readonly number[];
}

/** Credit of a word matched through two adjacent words written as one ("wi fi" → "wifi"). */
export const JOINED_FACTOR = 0.8;
/** Credit of a word matched only through a one-edit variant ("parkign" → "parking"). */
export const TYPO_FACTOR = 0.5;
const FUZZY_MIN_LENGTH = 5;

interface Postings {
  readonly docs: Int32Array;
  /** Saturated field-weighted term frequency, weighted / (k1 + weighted). */
  readonly sat: Float32Array;
}

/** Terms of a field, plus hyphenated pairs written as one word ("check-up" → also "checkup"), as customers type either. */
function fieldTerms(text: string): string[] {
  const out = terms(text);
  for (const m of text.matchAll(/([\p{L}\p{N}]+)-([\p{L}\p{N}]+)/gu)) {
    const joined = words(`${m[1] ?? ''}${m[2] ?? ''}`)[0];
    if (joined && joined.length >= 4) out.push(stem(joined));
  }
  return out;
}

function counts(list: readonly string[]): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of list) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}

/** Whether two strings are at most one edit apart (insert, delete, substitute, or swap two neighbours), without allocating. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length > b.length) return sameFrom(a, i + 1, b, i);
  if (b.length > a.length) return sameFrom(a, i, b, i + 1);
  return sameFrom(a, i + 1, b, i + 1) || (a[i] === b[i + 1] && a[i + 1] === b[i] && sameFrom(a, i + 2, b, i + 2));
}

function sameFrom(a: string, ia: number, b: string, ib: number): boolean {
  if (a.length - ia !== b.length - ib) return false;
  for (; ia < a.length; ia++, ib++) if (a[ia] !== b[ib]) return false;
  return true;
}

export class Bm25Index {
  private readonly passages: readonly Passage[];
  private readonly postings = new Map<string, Postings>();
  /** Written word or index term → index term. */
  private readonly forms = new Map<string, string>();
  private byLength: Map<number, string[]> | undefined;
  private readonly near = new Map<string, string[]>();

  constructor(passages: readonly Passage[], options: Bm25Options = {}) {
    const k1 = options.k1 ?? 1.2;
    const titleWeight = options.titleWeight ?? 3;
    const bTitle = options.bTitle ?? 0.5;
    const bBody = options.bBody ?? 0.75;
    this.passages = passages;
    const fields = passages.map((p) => {
      const title = fieldTerms(questionText(p));
      const body = fieldTerms(p.text);
      return { title: counts(title), titleLength: title.length, body: counts(body), bodyLength: body.length };
    });
    const n = Math.max(fields.length, 1);
    const avgTitle = fields.reduce((s, f) => s + f.titleLength, 0) / n || 1;
    const avgBody = fields.reduce((s, f) => s + f.bodyLength, 0) / n || 1;
    const lists = new Map<string, { docs: number[]; sat: number[] }>();
    fields.forEach((f, i) => {
      const titleNorm = 1 - bTitle + (bTitle * f.titleLength) / avgTitle;
      const bodyNorm = 1 - bBody + (bBody * f.bodyLength) / avgBody;
      for (const t of new Set([...f.title.keys(), ...f.body.keys()])) {
        const weighted = (titleWeight * (f.title.get(t) ?? 0)) / titleNorm + (f.body.get(t) ?? 0) / bodyNorm;
        let list = lists.get(t);
        if (!list) lists.set(t, (list = { docs: [], sat: [] }));
        list.docs.push(i);
        list.sat.push(weighted / (k1 + weighted));
      }
    });
    for (const [t, list] of lists) this.postings.set(t, { docs: Int32Array.from(list.docs), sat: Float32Array.from(list.sat) });
    // Written forms of the indexed words (before stemming), for typo matching: "parkign" is one edit from "parking", not from "park".
    for (const p of passages) {
      for (const w of words(`${questionText(p)} ${p.text}`)) {
        if (w.length < FUZZY_MIN_LENGTH - 1 || this.forms.has(w)) continue;
        const t = terms(w)[0];
        if (t) this.forms.set(w, t);
      }
    }
    for (const t of this.postings.keys()) if (!this.forms.has(t)) this.forms.set(t, t);
  }

  get size(): number {
    return this.passages.length;
  }

  /** The passage at a position (insertion order). */
  passageAt(index: number): Passage | undefined {
    return this.passages[index];
  }

  has(term: string): boolean {
    return this.postings.has(term);
  }

  idf(term: string): number {
    return idfOf(this.passages.length, this.postings.get(term)?.docs.length ?? 0);
  }

  /** The query's terms, each with the alternatives that may stand for it in this index. */
  analyse(query: string): QueryTerm[] {
    return analyseQuery(query, (t) => this.has(t), (t) => this.nearTerms(t));
  }

  /** Scores every matching passage. */
  match(query: string): LexicalMatch {
    const groups = this.analyse(query);
    const none: LexicalMatch = { docs: [], scores: [], coverages: [] };
    if (groups.length === 0 || this.passages.length === 0) return none;
    const weights = groups.map((g) => this.groupWeight(g));
    const totalWeight = weights.reduce((a, b) => a + b, 0);
    // Scratch arrays, one slot per passage, reused by every query (match is synchronous) and left zeroed.
    const { score, covered, bestScore, bestFactor } = this.buffers();
    const docs: number[] = [];
    groups.forEach((group, gi) => {
      // Per group, a passage earns its best alternative (never the sum of several spellings of one word).
      const touched: number[] = [];
      for (const alt of group.alternatives) {
        const list = this.postings.get(alt.term);
        if (!list) continue;
        const idf = this.idf(alt.term) * alt.factor;
        const listDocs = list.docs;
        const sat = list.sat;
        for (let p = 0; p < listDocs.length; p++) {
          const d = listDocs[p];
          const s = idf * sat[p];
          if (bestFactor[d] === 0) touched.push(d);
          if (s > bestScore[d]) bestScore[d] = s;
          if (alt.factor > bestFactor[d]) bestFactor[d] = alt.factor;
        }
      }
      const weight = weights[gi] ?? 0;
      for (const d of touched) {
        if (score[d] === 0 && covered[d] === 0) docs.push(d);
        score[d] += bestScore[d];
        covered[d] += bestFactor[d] * weight;
        bestScore[d] = 0;
        bestFactor[d] = 0;
      }
    });
    const scores = docs.map((d) => score[d]);
    const coverages = docs.map((d) => (totalWeight > 0 ? Math.min(1, covered[d] / totalWeight) : 0));
    for (const d of docs) {
      score[d] = 0;
      covered[d] = 0;
    }
    return { docs, scores, coverages };
  }

  private scratch?: { score: Float64Array; covered: Float64Array; bestScore: Float64Array; bestFactor: Float64Array };

  private buffers(): { score: Float64Array; covered: Float64Array; bestScore: Float64Array; bestFactor: Float64Array } {
    const n = this.passages.length;
    this.scratch ??= { score: new Float64Array(n), covered: new Float64Array(n), bestScore: new Float64Array(n), bestFactor: new Float64Array(n) };
    return this.scratch;
  }

  search(query: string, k = 5): Hit[] {
    const m = this.match(query);
    const order = topK(m.scores, k, (a, b) => compareIds(this.passages[m.docs[a] ?? 0], this.passages[m.docs[b] ?? 0]));
    return order.map((i) => ({
      passage: this.passages[m.docs[i] ?? 0] as Passage,
      score: m.scores[i] ?? 0,
      coverage: m.coverages[i] ?? 0,
    }));
  }

  private groupWeight(group: QueryTerm): number {
    return termWeight(group, (t) => this.has(t), (t) => this.idf(t));
  }

  /** Index terms whose written form (or the term itself) is one edit away from a word (typos); remembered per word. */
  private nearTerms(word: string): string[] {
    const known = this.near.get(word);
    if (known) return known;
    if (!this.byLength) {
      this.byLength = new Map();
      for (const form of this.forms.keys()) {
        const list = this.byLength.get(form.length);
        if (list) list.push(form);
        else this.byLength.set(form.length, [form]);
      }
    }
    const out = new Set<string>();
    for (let len = word.length - 1; len <= word.length + 1; len++) {
      for (const form of this.byLength.get(len) ?? []) {
        const term = this.forms.get(form);
        if (term && withinOneEdit(word, form)) out.add(term);
      }
    }
    if (this.near.size >= 10_000) this.near.clear();
    this.near.set(word, [...out]);
    return [...out];
  }
}

/**
 * The query's index terms (folded, stop words removed, stemmed), each with its
 * tolerant alternatives in a vocabulary: joined adjacent words and, for words
 * of 5+ letters the vocabulary lacks, terms one edit away (`nearTerms` is given
 * the written word).
 */
export function analyseQuery(query: string, inVocabulary: (term: string) => boolean, nearTerms: (word: string) => readonly string[]): QueryTerm[] {
  const groups = new Map<string, { term: string; factor: number }[]>();
  const raw = words(query);
  const written = new Map<string, string>();
  for (const w of raw) {
    const t = terms(w)[0];
    if (t === undefined) continue;
    if (!groups.has(t)) groups.set(t, [{ term: t, factor: 1 }]);
    if (!written.has(t)) written.set(t, w);
  }
  for (let i = 0; i + 1 < raw.length; i++) {
    const joined = stem(`${raw[i] ?? ''}${raw[i + 1] ?? ''}`);
    if (groups.has(joined) || !inVocabulary(joined)) continue;
    for (const part of [raw[i] ?? '', raw[i + 1] ?? '']) {
      const alts = groups.get(stem(part));
      if (alts && !alts.some((a) => a.term === joined)) alts.push({ term: joined, factor: JOINED_FACTOR });
    }
  }
  for (const [term, alts] of groups) {
    const word = written.get(term) ?? term;
    if (inVocabulary(term) || word.length < FUZZY_MIN_LENGTH || /\d/.test(word)) continue;
    for (const near of nearTerms(word)) if (!alts.some((a) => a.term === near)) alts.push({ term: near, factor: TYPO_FACTOR });
  }
  return [...groups].map(([term, alternatives]) => ({ term, alternatives }));
}

/**
 * How much a query term weighs in coverage: its own idf when the tenant uses
 * it; the best idf among its alternatives when only they occur; otherwise the
 * idf of an unseen term (the highest), so an unknown word lowers coverage.
 */
export function termWeight(group: QueryTerm, inVocabulary: (term: string) => boolean, idf: (term: string) => number): number {
  if (inVocabulary(group.term)) return idf(group.term);
  const known = group.alternatives.filter((a) => inVocabulary(a.term));
  return known.length > 0 ? Math.max(...known.map((a) => idf(a.term))) : idf(group.term);
}

/**
 * Coverage of one passage, given the terms it contains: the idf-weighted share
 * of the query terms it has (an alternative counts at its factor). The same
 * number `Bm25Index.match` computes from its postings; the OpenSearch adapter
 * computes it from the passage's stored terms.
 */
export function coverageOf(
  groups: readonly QueryTerm[],
  passageHas: (term: string) => boolean,
  inVocabulary: (term: string) => boolean,
  idf: (term: string) => number,
): number {
  let total = 0;
  let covered = 0;
  for (const g of groups) {
    const weight = termWeight(g, inVocabulary, idf);
    total += weight;
    let best = 0;
    for (const a of g.alternatives) if (a.factor > best && passageHas(a.term)) best = a.factor;
    covered += best * weight;
  }
  return total > 0 ? Math.min(1, covered / total) : 0;
}

/** The standard BM25 idf, as Bm25Index uses it: n passages, df of them with the term. */
export function idfOf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** Index terms of a passage (title with its alternative wordings, and body), as Bm25Index indexes them. */
export function passageTerms(passage: Pick<Passage, 'title' | 'text' | 'phrasings'>): string[] {
  return [...new Set([...fieldTerms(questionText(passage)), ...fieldTerms(passage.text)])];
}

function compareIds(a: Passage | undefined, b: Passage | undefined): number {
  return (a?.id ?? '').localeCompare(b?.id ?? '');
}

/**
 * Positions of the k highest values, best first; ties broken by `tie`.
 * A bounded insertion list: O(n·k) worst case, O(n) in practice for small k.
 */
export function topK(values: ArrayLike<number>, k: number, tie: (a: number, b: number) => number = (a, b) => a - b): number[] {
  const out: number[] = [];
  if (k <= 0) return out;
  const better = (a: number, b: number): boolean => {
    const va = values[a] ?? -Infinity;
    const vb = values[b] ?? -Infinity;
    return va > vb || (va === vb && tie(a, b) < 0);
  };
  for (let i = 0; i < values.length; i++) {
    if (out.length === k && !better(i, out[k - 1] ?? 0)) continue;
    let pos = out.length === k ? k - 1 : out.length;
    while (pos > 0 && better(i, out[pos - 1] ?? 0)) pos--;
    out.splice(pos, 0, i);
    if (out.length > k) out.pop();
  }
  return out;
}
