/**
 * Multinomial (softmax) logistic regression over sparse features, optionally
 * with a dense block appended (e.g. sentence-embedding features). Trained with
 * SGD, L2 regularisation by weight scaling (Bottou's trick, so a sparse step
 * costs O(nnz·classes)), a decaying learning rate and a seeded shuffle: the
 * same data always gives the same model.
 */
import type { SparseVector } from './features';

export interface Example {
  readonly x: SparseVector;
  /** Dense features, appended after the sparse ones (same length for every example). */
  readonly dense?: Float32Array;
  readonly y: number;
  /** @default 1 */
  readonly weight?: number;
}

export interface TrainOptions {
  /** @default 20 */
  readonly epochs?: number;
  /** @default 0.5 */
  readonly learningRate?: number;
  /** L2 strength per example. @default 1e-5 */
  readonly l2?: number;
  /** @default 7 */
  readonly seed?: number;
}

/** mulberry32: a small, fast, seeded PRNG (deterministic shuffles). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

export class SoftmaxRegression {
  /** Feature-major weights: row f holds the `classes` weights of feature f. */
  private readonly w: Float32Array;
  private readonly bias: Float32Array;
  private scale = 1;

  constructor(
    readonly features: number,
    readonly classes: number,
    readonly denseSize = 0,
  ) {
    this.w = new Float32Array((features + denseSize) * classes);
    this.bias = new Float32Array(classes);
  }

  /** Raw class scores for one example. */
  logits(x: SparseVector, dense?: Float32Array): Float32Array {
    const c = this.classes;
    const out = Float32Array.from(this.bias);
    const { indices, values } = x;
    for (let k = 0; k < indices.length; k++) {
      const row = (indices[k] as number) * c;
      const v = (values[k] as number) * this.scale;
      for (let j = 0; j < c; j++) out[j] = (out[j] as number) + v * (this.w[row + j] as number);
    }
    if (dense && this.denseSize > 0) {
      for (let d = 0; d < this.denseSize; d++) {
        const row = (this.features + d) * c;
        const v = (dense[d] ?? 0) * this.scale;
        if (v === 0) continue;
        for (let j = 0; j < c; j++) out[j] = (out[j] as number) + v * (this.w[row + j] as number);
      }
    }
    return out;
  }

  /** Class probabilities for one example. */
  predict(x: SparseVector, dense?: Float32Array): Float32Array {
    return softmax(this.logits(x, dense));
  }

  train(examples: readonly Example[], options: TrainOptions = {}): this {
    const epochs = options.epochs ?? 20;
    const lr0 = options.learningRate ?? 0.5;
    const l2 = options.l2 ?? 1e-5;
    const random = seededRandom(options.seed ?? 7);
    const order = examples.map((_, i) => i);
    const c = this.classes;
    let step = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffleInPlace(order, random);
      for (const i of order) {
        const ex = examples[i] as Example;
        const lr = lr0 / (1 + 0.02 * step / Math.max(1, examples.length / 50));
        step++;
        const p = this.predict(ex.x, ex.dense);
        const weight = ex.weight ?? 1;
        // Gradient of the cross-entropy: p - onehot(y).
        for (let j = 0; j < c; j++) p[j] = ((p[j] as number) - (j === ex.y ? 1 : 0)) * weight;
        // L2 shrink as a scale factor; renormalise before it underflows.
        this.scale *= 1 - lr * l2;
        if (this.scale < 1e-6) this.rescale();
        const g = lr / this.scale;
        const { indices, values } = ex.x;
        for (let k = 0; k < indices.length; k++) {
          const row = (indices[k] as number) * c;
          const v = (values[k] as number) * g;
          for (let j = 0; j < c; j++) this.w[row + j] = (this.w[row + j] as number) - v * (p[j] as number);
        }
        if (ex.dense && this.denseSize > 0) {
          for (let d = 0; d < this.denseSize; d++) {
            const v = (ex.dense[d] ?? 0) * g;
            if (v === 0) continue;
            const row = (this.features + d) * c;
            for (let j = 0; j < c; j++) this.w[row + j] = (this.w[row + j] as number) - v * (p[j] as number);
          }
        }
        for (let j = 0; j < c; j++) this.bias[j] = (this.bias[j] as number) - lr * (p[j] as number);
      }
    }
    this.rescale();
    return this;
  }

  /** The trained weights (after `train`, whose last step folds the scale in), to store a model and restore it. */
  weights(): { readonly w: Float32Array; readonly bias: Float32Array } {
    this.rescale();
    return { w: Float32Array.from(this.w), bias: Float32Array.from(this.bias) };
  }

  /** A model with stored weights (`weights()` of one with the same shape). */
  static restore(features: number, classes: number, denseSize: number, weights: { readonly w: Float32Array; readonly bias: Float32Array }): SoftmaxRegression {
    const model = new SoftmaxRegression(features, classes, denseSize);
    if (weights.w.length !== model.w.length || weights.bias.length !== model.bias.length) throw new Error('stored weights do not fit the model');
    model.w.set(weights.w);
    model.bias.set(weights.bias);
    return model;
  }

  private rescale(): void {
    for (let i = 0; i < this.w.length; i++) this.w[i] = (this.w[i] as number) * this.scale;
    this.scale = 1;
  }
}

export function softmax(logits: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let j = 0; j < logits.length; j++) {
    const e = Math.exp((logits[j] as number) - max);
    out[j] = e;
    sum += e;
  }
  for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) / sum;
  return out;
}

/** Index of the largest value. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < values.length; j++) if ((values[j] as number) > (values[best] as number)) best = j;
  return best;
}
