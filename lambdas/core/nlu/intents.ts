/**
 * The concierge's intents and the classifier that recognises them: TF-IDF
 * (word 1–2 + char 2–5 n-grams) → softmax logistic regression, trained in
 * process from the project's labelled utterances (data/utterances.json, en+es)
 * plus the tenant's own FAQ questions as `question` examples. Chosen on
 * evidence (CLINC150 and the demo eval set; see docs/decisions.md): as accurate
 * as the alternatives we measured at this data size, language-agnostic through
 * its character n-grams, trained in well under a second, and classifying in
 * microseconds — no model download, no cold-start penalty.
 *
 * Models are cached by the FAQ questions they were trained on (nlu/index.ts).
 */
import { z } from 'zod';
import utterances from './data/utterances.json';
import { TfidfVectorizer, type TfidfState } from './features';
import { argmax, SoftmaxRegression, type Example } from './logreg';

export const INTENTS = [
  'question',
  'book',
  'reschedule',
  'cancel',
  'my_bookings',
  'human',
  'greeting',
  'thanks',
  'goodbye',
  'affirm',
  'deny',
  'complaint',
  'out_of_scope',
] as const;

export type Intent = (typeof INTENTS)[number];
export const intentSchema = z.enum(INTENTS);

const utteranceFile = z.object(Object.fromEntries(INTENTS.map((i) => [i, z.object({ en: z.array(z.string()), es: z.array(z.string()) })])) as Record<
  Intent,
  z.ZodObject<{ en: z.ZodArray<z.ZodString>; es: z.ZodArray<z.ZodString> }>
>);

/** The project's labelled utterances, validated once. */
export function labelledUtterances(): readonly { text: string; intent: Intent }[] {
  const parsed = utteranceFile.parse(utterances);
  return INTENTS.flatMap((intent) => [...parsed[intent].en, ...parsed[intent].es].map((text) => ({ text, intent })));
}

export interface IntentPrediction {
  readonly intent: Intent;
  /** Probability of the predicted intent, 0..1. */
  readonly confidence: number;
  /** The runner-up, for logging and tests. */
  readonly second: { readonly intent: Intent; readonly confidence: number };
}

/** Below this probability the classifier abstains and the message is treated as a `question` (retrieval decides). */
export const MIN_INTENT_CONFIDENCE = 0.3;

/** A trained classifier as data: what `IntentModelStore` keeps. */
export interface IntentModelState {
  readonly intents: readonly string[];
  readonly vectorizer: TfidfState;
  readonly w: Float32Array;
  readonly bias: Float32Array;
}

/**
 * Where trained models may be kept between processes (adapters/nlu/intent-model-cache.ts: a folder, for the local
 * cloud and the tests, where every test file and every restart would otherwise train the same model again). `key`
 * names the training input; the store must tell apart models trained by different code. None in a deployed
 * function: a warm container keeps its models in memory (`classifierFor`).
 */
export interface IntentModelStore {
  load(key: string): IntentModelState | undefined;
  save(key: string, state: IntentModelState): void;
}

let modelStore: IntentModelStore | undefined;

/** Sets (or, with undefined, clears) where trained models are kept between processes. */
export function useIntentModelStore(store: IntentModelStore | undefined): void {
  modelStore = store;
}

export class IntentClassifier {
  private constructor(
    private readonly vectorizer: TfidfVectorizer,
    private readonly model: SoftmaxRegression,
  ) {}

  /**
   * Trains on the labelled utterances plus extra `question` examples (a
   * tenant's FAQ questions). Classes are weighted to balance their sizes, so a
   * tenant with 2,000 FAQs does not drown the small-talk intents.
   */
  static train(extraQuestions: readonly string[] = [], options: { epochs?: number } = {}): IntentClassifier {
    const epochs = options.epochs ?? 25;
    const key = modelStore ? JSON.stringify({ extraQuestions, epochs }) : '';
    const stored = modelStore?.load(key);
    if (stored) {
      try {
        return IntentClassifier.restore(stored);
      } catch {
        // a stored model that does not fit: trained again below (and stored over it)
      }
    }
    const trained = IntentClassifier.fit(extraQuestions, epochs);
    modelStore?.save(key, trained.state());
    return trained;
  }

  private static fit(extraQuestions: readonly string[], epochs: number): IntentClassifier {
    const rows = [...labelledUtterances(), ...extraQuestions.map((text) => ({ text, intent: 'question' as const }))];
    const vectorizer = new TfidfVectorizer().fit(rows.map((r) => r.text));
    const counts = new Map<Intent, number>();
    for (const r of rows) counts.set(r.intent, (counts.get(r.intent) ?? 0) + 1);
    const mean = rows.length / INTENTS.length;
    const examples: Example[] = rows.map((r) => ({
      x: vectorizer.transform(r.text),
      y: INTENTS.indexOf(r.intent),
      weight: Math.min(3, Math.sqrt(mean / (counts.get(r.intent) ?? 1))),
    }));
    const model = new SoftmaxRegression(vectorizer.size, INTENTS.length).train(examples, { epochs, learningRate: 0.8, l2: 1e-5 });
    return new IntentClassifier(vectorizer, model);
  }

  /** The trained classifier as data (IntentModelStore). */
  state(): IntentModelState {
    return { intents: INTENTS, vectorizer: this.vectorizer.state(), ...this.model.weights() };
  }

  private static restore(state: IntentModelState): IntentClassifier {
    if (state.intents.join() !== INTENTS.join()) throw new Error('stored model has other intents');
    const vectorizer = TfidfVectorizer.restore(state.vectorizer);
    return new IntentClassifier(vectorizer, SoftmaxRegression.restore(vectorizer.size, INTENTS.length, 0, state));
  }

  predict(text: string): IntentPrediction {
    const probs = this.model.predict(this.vectorizer.transform(text));
    const best = argmax(probs);
    const rest = Float32Array.from(probs);
    rest[best] = -1;
    const next = argmax(rest);
    const top = { intent: INTENTS[best] ?? 'question', confidence: probs[best] ?? 0 };
    const second = { intent: INTENTS[next] ?? 'question', confidence: probs[next] ?? 0 };
    if (top.confidence < MIN_INTENT_CONFIDENCE) return { intent: 'question', confidence: top.confidence, second: top };
    return { ...top, second };
  }
}

const MAX_CACHED = 64;
const cache = new Map<string, IntentClassifier>();

/** The classifier for a set of FAQ questions (`key` names it), trained on first use and kept (LRU, 64 sets). */
export function classifierFor(key: string, faqQuestions: readonly string[]): IntentClassifier {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const trained = IntentClassifier.train(faqQuestions);
  cache.set(key, trained);
  while (cache.size > MAX_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  return trained;
}
