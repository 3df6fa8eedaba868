/**
 * Sparse TF-IDF features for short utterances: word unigrams and bigrams plus
 * character 2–5-grams inside word boundaries (" whi", "hiten"…), which carry
 * typos, inflections and Spanish accents without a stemmer per language.
 * Sub-linear tf, smoothed idf, L2-normalised — the same recipe as
 * scikit-learn's `TfidfVectorizer(sublinear_tf=True)`.
 */
import { fold } from '../answer/text';

/** A sparse vector: parallel arrays of feature indices and values. */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

export interface TfidfOptions {
  /** Character n-gram lengths (inclusive). @default [2, 5] */
  readonly charRange?: readonly [number, number];
  /** Word n-gram lengths (inclusive). @default [1, 2] */
  readonly wordRange?: readonly [number, number];
  /** Drop features seen in fewer training texts. @default 1 */
  readonly minDf?: number;
}

/** Folded word tokens with digits collapsed to `0` (so "€80" and "€95" share a feature). */
export function featureWords(text: string): string[] {
  return (fold(text).match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.replace(/\d/g, '0'));
}

function rawFeatures(text: string, charRange: readonly [number, number], wordRange: readonly [number, number]): string[] {
  const ws = featureWords(text);
  const out: string[] = [];
  for (let n = wordRange[0]; n <= wordRange[1]; n++) {
    for (let i = 0; i + n <= ws.length; i++) out.push(`w:${ws.slice(i, i + n).join(' ')}`);
  }
  for (const w of ws) {
    const padded = ` ${w} `;
    for (let n = charRange[0]; n <= charRange[1]; n++) {
      if (padded.length < n) break;
      for (let i = 0; i + n <= padded.length; i++) out.push(`c:${padded.slice(i, i + n)}`);
    }
  }
  return out;
}

/** A fitted vectorizer's state: its options, its features in index order and their idf. */
export interface TfidfState {
  readonly charRange: readonly [number, number];
  readonly wordRange: readonly [number, number];
  readonly minDf: number;
  readonly vocabulary: readonly string[];
  readonly idf: Float32Array;
}

export class TfidfVectorizer {
  private readonly vocab = new Map<string, number>();
  private idf = new Float32Array(0);
  private readonly charRange: readonly [number, number];
  private readonly wordRange: readonly [number, number];
  private readonly minDf: number;

  constructor(options: TfidfOptions = {}) {
    this.charRange = options.charRange ?? [2, 5];
    this.wordRange = options.wordRange ?? [1, 2];
    this.minDf = options.minDf ?? 1;
  }

  get size(): number {
    return this.vocab.size;
  }

  fit(texts: readonly string[]): this {
    const df = new Map<string, number>();
    for (const text of texts) {
      for (const f of new Set(rawFeatures(text, this.charRange, this.wordRange))) df.set(f, (df.get(f) ?? 0) + 1);
    }
    const kept = [...df.entries()].filter(([, n]) => n >= this.minDf);
    this.idf = new Float32Array(kept.length);
    const n = texts.length;
    kept.forEach(([feature, count], i) => {
      this.vocab.set(feature, i);
      this.idf[i] = Math.log((1 + n) / (1 + count)) + 1;
    });
    return this;
  }

  /** What `fit` learnt, to store a vectorizer and restore it. */
  state(): TfidfState {
    return { charRange: this.charRange, wordRange: this.wordRange, minDf: this.minDf, vocabulary: [...this.vocab.keys()], idf: Float32Array.from(this.idf) };
  }

  /** A fitted vectorizer from `state()`. */
  static restore(state: TfidfState): TfidfVectorizer {
    if (state.vocabulary.length !== state.idf.length) throw new Error('stored vocabulary and idf differ in length');
    const v = new TfidfVectorizer({ charRange: state.charRange, wordRange: state.wordRange, minDf: state.minDf });
    state.vocabulary.forEach((feature, i) => v.vocab.set(feature, i));
    v.idf = Float32Array.from(state.idf);
    return v;
  }

  transform(text: string): SparseVector {
    const tf = new Map<number, number>();
    for (const f of rawFeatures(text, this.charRange, this.wordRange)) {
      const i = this.vocab.get(f);
      if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
    }
    const indices = Int32Array.from(tf.keys()).sort();
    const values = new Float32Array(indices.length);
    let norm = 0;
    indices.forEach((i, k) => {
      const v = (1 + Math.log(tf.get(i) ?? 1)) * (this.idf[i] ?? 0);
      values[k] = v;
      norm += v * v;
    });
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < values.length; k++) values[k] = (values[k] ?? 0) / norm;
    return { indices, values };
  }
}
