/**
 * Hybrid retrieval: BM25F (lexical) fused with sentence-embedding cosine
 * similarity (semantic). The fusion is one pure function, `fuse`, shared by
 * the embedded index and the OpenSearch Serverless adapter, so both rank the
 * same way given the same evidence.
 *
 * Fusion (chosen on StackFAQ, see test/bench/retrieval.ts and docs/decisions.md):
 *   score = w · bm25 / max(bm25 of the candidates) + (1 − w) · max(0, cosine)
 * with w = 0.3. BM25 is scaled by the best lexical score of the query; the
 * cosine is used as is, because it is already comparable across queries (a
 * min-max over a few candidates stretches noise into a full 0..1 range — that
 * variant lost 4–9 points of R@1). Candidates are the union of the lexical
 * and the semantic top N (N = 50, or k if larger).
 */
import { detectLanguage } from '../nlu/language';
import type { Embedder, RetrievedPassage } from '../ports';
import { Bm25Index, topK, type Bm25Options } from './bm25';
import { embeddingText, type EmbeddedPassage, type Passage } from './passages';

export interface FusionOptions {
  /** Weight of the (max-scaled) BM25 score; the cosine gets the rest. */
  readonly lexicalWeight: number;
  /** How deep each retriever's list is before fusion. */
  readonly candidates: number;
}

export const DEFAULT_FUSION: FusionOptions = { lexicalWeight: 0.3, candidates: 50 };

/** What one retriever or both know about a candidate passage. */
export interface FusionCandidate {
  readonly passage: Passage;
  /** Raw BM25 score; 0 when the passage is not in the lexical list. */
  readonly bm25: number;
  /** 0..1 lexical coverage of the question (see Bm25Index). */
  readonly coverage: number;
  /** Cosine similarity of the question and passage embeddings; undefined without embeddings. */
  readonly cosine?: number;
}

/** Ranks candidates by fused score, best first, ties by passage id; keeps the k best. */
export function fuse(candidates: readonly FusionCandidate[], k: number, options: FusionOptions = DEFAULT_FUSION): RetrievedPassage[] {
  let maxBm25 = 0;
  for (const c of candidates) if (c.bm25 > maxBm25) maxBm25 = c.bm25;
  const w = options.lexicalWeight;
  return candidates
    .map((c): RetrievedPassage => {
      const lexical = maxBm25 > 0 ? c.bm25 / maxBm25 : 0;
      if (c.cosine === undefined) return { passage: c.passage, score: c.bm25, coverage: c.coverage };
      const similarity = clamp01(c.cosine);
      return { passage: c.passage, score: w * lexical + (1 - w) * similarity, coverage: c.coverage, similarity };
    })
    .sort((a, b) => b.score - a.score || a.passage.id.localeCompare(b.passage.id))
    .slice(0, k);
}

/**
 * The model id stored with a passage vector: the embedder's model and how the
 * passage was embedded. A passage is the normalised sum of the embeddings of
 * its title alone and of title and body together: questions are phrased like
 * FAQ titles, and the body keeps document chunks (whose titles are only section
 * names) findable. Against embedding title and body together, it took the demo
 * clinic's paraphrases from 23 to 26 of 32 and StackFAQ R@1 from 0.817 to 0.824.
 */
export function passageEmbeddingModel(embedder: Pick<Embedder, 'model'>): string {
  return `${embedder.model}#title+body`;
}

/**
 * Embeds passages for search (see passageEmbeddingModel); one embedder call for all of them. An FAQ's alternative
 * wordings (those in a language the embedder understands) join its question: the title's part is their summed
 * direction, at the question embedding's length.
 */
export async function embedPassages(embedder: Embedder, passages: readonly Passage[]): Promise<EmbeddedPassage[]> {
  if (passages.length === 0) return [];
  // Wordings in a language the embedder does not understand (USE-lite: English) would only add noise: BM25 has them.
  const embeddable = passages.map((p) => (p.phrasings ?? []).filter((w) => embedsLanguageOf(embedder, w)));
  const vectors = await embedder.embed([...passages.map((p) => p.title), ...passages.map(embeddingText), ...embeddable.flat()]);
  const model = passageEmbeddingModel(embedder);
  let next = 2 * passages.length;
  return passages.map((p, i) => {
    const question = vectors[i] ?? [];
    const asked = (embeddable[i] ?? []).map(() => vectors[next++] ?? []);
    const title = asked.length === 0 ? question : sameLength(question, question.map((v, d) => asked.reduce((sum, a) => sum + (a[d] ?? 0), v)));
    const whole = vectors[passages.length + i] ?? [];
    const vector = unitVector(whole.map((v, d) => v + (title[d] ?? 0)));
    return { ...p, embedding: { model, vector } };
  });
}

/** The passages without a vector of this embedder's model (see passageEmbeddingModel). */
export function withoutVectors<P extends EmbeddedPassage>(embedder: Pick<Embedder, 'model'>, passages: readonly P[]): P[] {
  const model = passageEmbeddingModel(embedder);
  return passages.filter((p) => p.embedding?.model !== model);
}

export interface BatchOptions {
  /** Passages per embedder call. @default all in one */
  readonly batch?: number;
  /** No batch is started once this many milliseconds have passed. @default no limit */
  readonly budgetMs?: number;
  /** Milliseconds now, for the budget. @default performance.now */
  readonly now?: () => number;
  /** A pause between batches, so answers waiting on this thread get their turn. @default none */
  readonly pauseMs?: number;
  /** Each batch as soon as it is embedded. */
  readonly onBatch: (made: readonly EmbeddedPassage[]) => void | Promise<void>;
  /** Before each batch that has work: whether to go on (false stops the run). @default always */
  readonly beforeBatch?: () => Promise<boolean>;
  /** Whether a passage still needs a vector (one found meanwhile is skipped). @default all do */
  readonly needed?: (passage: Passage) => boolean;
}

/**
 * Embeds passages (see embedPassages) a batch at a time, within a time budget: the one loop behind a knowledge
 * write's budget, the knowledge indexer and the embedded index's background embedding. A failure throws after the
 * batches already handed to `onBatch`. Returns false when `beforeBatch` stopped it.
 */
export async function embedInBatches(embedder: Embedder, passages: readonly Passage[], options: BatchOptions): Promise<boolean> {
  const batch = Math.max(1, options.batch ?? passages.length);
  const budget = options.budgetMs ?? Infinity;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const round = (i: number): readonly Passage[] => {
    const slice = passages.slice(i, i + batch);
    return options.needed ? slice.filter(options.needed) : slice;
  };
  for (let i = 0; i < passages.length && now() - started < budget; i += batch) {
    let next = round(i);
    if (next.length === 0) continue;
    if (options.beforeBatch) {
      if (!(await options.beforeBatch())) return false;
      // What it found meanwhile is needed no more.
      next = round(i);
      if (next.length === 0) continue;
    }
    if (i > 0 && options.pauseMs) await new Promise<void>((resolve) => setTimeout(resolve, options.pauseMs));
    await options.onBatch(await embedPassages(embedder, next));
  }
  return true;
}

/** `vector` scaled to the length of `like`. */
function sameLength(like: readonly number[], vector: readonly number[]): number[] {
  const scale = Math.hypot(...like) / (Math.hypot(...vector) || 1);
  return vector.map((v) => v * scale);
}

/** Whether the embedder understands the question's language (otherwise its vector is noise and search stays lexical). */
export function embedsLanguageOf(embedder: Pick<Embedder, 'languages'>, question: string): boolean {
  return !embedder.languages || embedder.languages.includes(detectLanguage(question));
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Scales a vector to unit length (a zero vector stays zero). */
export function unitVector(vector: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(vector.length);
  if (norm > 0) for (let i = 0; i < vector.length; i++) out[i] = (vector[i] ?? 0) / norm;
  return out;
}

/**
 * A WebAssembly SIMD kernel (f32x4 multiply-add), hand-assembled:
 * `dots(matrix, query, rows, dim, out)` writes the dot product of each of the
 * `rows` rows of `dim` floats at byte offset `matrix` with the `dim` floats at
 * `query` to the floats at `out`; `dim` must be a multiple of 4. About six
 * times faster than the JavaScript loop (10,000 × 512: ~0.7 ms against ~4 ms).
 *
 *   (func (export "dots") (param $m i32) (param $q i32) (param $rows i32) (param $dim i32) (param $out i32)
 *     (local $r i32) (local $i i32) (local $bytes i32) (local $acc v128)
 *     bytes = dim << 2
 *     for r < rows: acc = 0; for i < bytes step 16: acc += load(m + i) * load(q + i)
 *                   f32[out + r·4] = sum of acc's lanes; m += bytes)
 */
const DOTS_WASM = [
  // header; type (i32 ×5) → (); import env.memory; one function; export "dots"
  '0061736d01000000', '01090160057f7f7f7f7f00', '020f0103656e76066d656d6f7279020001', '03020100', '07080104646f74730000',
  // code section (153 bytes): one body of 150 bytes; locals: 3 × i32, 1 × v128
  '0a990101', '9601', '02037f017b', '2003410274 2107', '02400340', '200520024f0d01', 'fd0c00000000000000000000000000000000 2108', '41002106',
  '02400340', '200620074f0d01', '2008', '2000 20066a fd000200', '2001 20066a fd000200', 'fde601 fde401 2108', '2006 41106a 2106', '0c00', '0b0b',
  '2004 2005 410274 6a', '2008fd1f00 2008fd1f01 92 2008fd1f02 92 2008fd1f03 92', '380200', '2000 2007 6a 2100', '2005 41016a 2105', '0c00', '0b0b', '0b',
].join('').replace(/\s+/g, '');

let simdModule: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (the JavaScript loop is used). */
function dotsModule(): WebAssembly.Module | null {
  if (simdModule === undefined) {
    const bytes = Uint8Array.from(DOTS_WASM.match(/../g) ?? [], (h) => parseInt(h, 16));
    simdModule = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return simdModule;
}

type Dots = (matrix: number, query: number, rows: number, dim: number, out: number) => void;

/** Row-major matrix of unit vectors, one row per passage: a query's cosines are one pass of dot products. */
export class DenseMatrix {
  readonly size: number;
  private readonly data: Float32Array;
  private readonly kernel?: { readonly dots: Dots; readonly query: Float32Array; readonly out: Float32Array; readonly queryOffset: number; readonly outOffset: number };

  constructor(
    vectors: readonly ArrayLike<number>[],
    readonly dimensions: number,
    options: { readonly simd?: boolean } = {},
  ) {
    this.size = vectors.length;
    const module = options.simd === false || dimensions % 4 !== 0 ? null : dotsModule();
    if (module) {
      // The matrix lives in the kernel's memory: [rows × dim floats | query | out].
      const queryOffset = this.size * dimensions * 4;
      const outOffset = queryOffset + dimensions * 4;
      const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((outOffset + this.size * 4) / 65536)) });
      const fn = new WebAssembly.Instance(module, { env: { memory } }).exports['dots'];
      if (typeof fn !== 'function') throw new Error('the dot-product kernel exports no function');
      this.data = new Float32Array(memory.buffer, 0, this.size * dimensions);
      this.kernel = {
        dots: (m, q, rows, dim, out) => {
          fn(m, q, rows, dim, out);
        },
        query: new Float32Array(memory.buffer, queryOffset, dimensions),
        out: new Float32Array(memory.buffer, outOffset, this.size),
        queryOffset,
        outOffset,
      };
    } else {
      this.data = new Float32Array(this.size * dimensions);
    }
    vectors.forEach((v, row) => {
      if (v.length !== dimensions) throw new Error(`vector ${row} has ${v.length} dimensions, expected ${dimensions}`);
      this.data.set(unitVector(v), row * dimensions);
    });
  }

  /** Whether the WebAssembly SIMD kernel computes the dot products. */
  get simd(): boolean {
    return this.kernel !== undefined;
  }

  /** Cosine of the query with every row. */
  cosines(query: ArrayLike<number>): Float32Array {
    const dim = this.dimensions;
    if (query.length !== dim) throw new Error(`query vector has ${query.length} dimensions, expected ${dim}`);
    const q = unitVector(query);
    if (this.kernel) {
      this.kernel.query.set(q);
      this.kernel.dots(0, this.kernel.queryOffset, this.size, dim, this.kernel.outOffset);
      return this.kernel.out.slice();
    }
    const data = this.data;
    const rows = this.size;
    const out = new Float32Array(rows);
    const tail = dim - (dim % 4);
    // Four accumulators let the CPU overlap the multiply-adds; plain typed-array reads keep V8 on its fast path.
    for (let row = 0, base = 0; row < rows; row++, base += dim) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < tail; i += 4) {
        s0 += data[base + i] * q[i];
        s1 += data[base + i + 1] * q[i + 1];
        s2 += data[base + i + 2] * q[i + 2];
        s3 += data[base + i + 3] * q[i + 3];
      }
      for (let i = tail; i < dim; i++) s0 += data[base + i] * q[i];
      out[row] = s0 + s1 + s2 + s3;
    }
    return out;
  }
}

export interface HybridIndexOptions {
  readonly bm25?: Bm25Options;
  readonly fusion?: FusionOptions;
}

/** BM25F over the passages, plus their embeddings when given (rows aligned with the passages). */
export class HybridIndex {
  private readonly lexical: Bm25Index;
  private readonly fusion: FusionOptions;

  constructor(
    private readonly passages: readonly Passage[],
    private readonly vectors?: DenseMatrix,
    options: HybridIndexOptions = {},
  ) {
    if (vectors && vectors.size !== passages.length) throw new Error(`${vectors.size} vectors for ${passages.length} passages`);
    this.lexical = new Bm25Index(passages, options.bm25);
    this.fusion = options.fusion ?? DEFAULT_FUSION;
  }

  get size(): number {
    return this.passages.length;
  }

  get dimensions(): number | undefined {
    return this.vectors?.dimensions;
  }

  /** The k best passages for the question; without a query vector (or passage vectors), BM25F alone. */
  search(query: string, queryVector: ArrayLike<number> | undefined, k: number): RetrievedPassage[] {
    if (this.passages.length === 0 || k <= 0) return [];
    const match = this.lexical.match(query);
    const depth = Math.max(this.fusion.candidates, k);
    const cosines = queryVector && this.vectors ? this.vectors.cosines(queryVector) : undefined;
    if (!cosines) {
      return fuse(
        topK(match.scores, k).map((i) => ({ passage: this.passageOf(match.docs[i]), bm25: match.scores[i] ?? 0, coverage: match.coverages[i] ?? 0 })),
        k,
        this.fusion,
      );
    }
    // Candidates: the lexical and the semantic top `depth`; then their BM25 (lexical list only) and coverage.
    const lexicalTop = new Set(topK(match.scores, depth).map((i) => match.docs[i]));
    const docs = new Set([...lexicalTop, ...topK(cosines, depth)]);
    const bm25 = new Map<number, number>();
    const coverage = new Map<number, number>();
    match.docs.forEach((d, i) => {
      if (!docs.has(d)) return;
      coverage.set(d, match.coverages[i] ?? 0);
      if (lexicalTop.has(d)) bm25.set(d, match.scores[i] ?? 0);
    });
    const candidates = [...docs].map((d) => ({
      passage: this.passageOf(d),
      bm25: bm25.get(d) ?? 0,
      coverage: coverage.get(d) ?? 0,
      cosine: cosines[d] ?? 0,
    }));
    return fuse(candidates, k, this.fusion);
  }

  private passageOf(index: number | undefined): Passage {
    const p = this.passages[index ?? -1];
    if (!p) throw new Error(`no passage at ${String(index)}`);
    return p;
  }
}
