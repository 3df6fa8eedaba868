/**
 * CLINC150 (Larson et al., EMNLP 2019; CC BY 3.0) measured with the concierge's
 * own intent classifier recipe: TF-IDF (word 1–2 + char 2–5) → softmax logistic
 * regression, trained with the 100 out-of-scope training utterances as a 151st
 * class, plus a confidence threshold picked on the validation split.
 *
 * The data set is read at bench time from the shared data folder beside the
 * repository (`../shared/data/clinc150_data_full.json`, or CLINC150_PATH); it is
 * never copied into the repository.
 *
 * Run alone: `npx tsx test/eval/clinc150.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TfidfVectorizer } from '../../lambdas/core/nlu/features';
import { argmax, SoftmaxRegression, type Example } from '../../lambdas/core/nlu/logreg';

const split = z.array(z.tuple([z.string(), z.string()]));
const clincSchema = z.object({ train: split, val: split, test: split, oos_train: split, oos_val: split, oos_test: split });
type Clinc = z.infer<typeof clincSchema>;

export function clinc150Path(): string {
  return process.env['CLINC150_PATH'] ?? resolve(__dirname, '..', '..', '..', 'shared', 'data', 'clinc150_data_full.json');
}

export function loadClinc150(path = clinc150Path()): Clinc {
  if (!existsSync(path)) throw new Error(`CLINC150 not found at ${path} (set CLINC150_PATH)`);
  return clincSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

interface Model {
  readonly vectorizer: TfidfVectorizer;
  readonly lr: SoftmaxRegression;
  readonly labels: readonly string[];
}

function train(rows: readonly (readonly [string, string])[], epochs: number): Model {
  const labels = [...new Set(rows.map(([, l]) => l))].sort();
  const index = new Map(labels.map((l, i) => [l, i] as const));
  const vectorizer = new TfidfVectorizer({ minDf: 1 }).fit(rows.map(([t]) => t));
  const examples: Example[] = rows.map(([t, l]) => ({ x: vectorizer.transform(t), y: index.get(l) ?? 0 }));
  const lr = new SoftmaxRegression(vectorizer.size, labels.length).train(examples, { epochs, learningRate: 0.8, l2: 1e-6 });
  return { vectorizer, lr, labels };
}

function predictAll(model: Model, rows: readonly (readonly [string, string])[]): { label: string; p: number; gold: string }[] {
  return rows.map(([t, gold]) => {
    const probs = model.lr.predict(model.vectorizer.transform(t));
    const best = argmax(probs);
    return { label: model.labels[best] ?? 'oos', p: probs[best] ?? 0, gold };
  });
}

/** Predicted label with the threshold applied: below it, or predicted `oos`, counts as out of scope. */
const decide = (r: { label: string; p: number }, threshold: number): string => (r.p < threshold ? 'oos' : r.label);

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}

export async function clinc150Bench(): Promise<Record<string, number>> {
  const data = loadClinc150();
  const started = performance.now();
  const full = train([...data.train, ...data.oos_train], 12);
  const trainMs = performance.now() - started;

  // Threshold: the one that maximises accuracy on validation (in-scope + out-of-scope together).
  const val = predictAll(full, [...data.val, ...data.oos_val]);
  let threshold = 0;
  let bestAcc = -1;
  for (let t = 0; t <= 0.9; t += 0.01) {
    const acc = val.filter((r) => decide(r, t) === r.gold).length / val.length;
    if (acc > bestAcc) [bestAcc, threshold] = [acc, t];
  }
  const inScope = predictAll(full, data.test);
  const oos = predictAll(full, data.oos_test);
  const inScopeAcc = inScope.filter((r) => decide(r, threshold) === r.gold).length / inScope.length;
  const inScopeArgmax = inScope.filter((r) => r.label === r.gold).length / inScope.length;
  const oosRecall = oos.filter((r) => decide(r, threshold) === 'oos').length / oos.length;

  // A small business's reality: 10 examples per intent (the first 10 of each in the training split), no OOS class.
  const perIntent = new Map<string, number>();
  const tenShot = data.train.filter(([, l]) => {
    const n = perIntent.get(l) ?? 0;
    perIntent.set(l, n + 1);
    return n < 10;
  });
  const small = train(tenShot, 30);
  const tenShotAcc = predictAll(small, data.test).filter((r) => r.label === r.gold).length / data.test.length;

  return {
    clinc150_inscope_acc: round(inScopeAcc),
    clinc150_oos_recall: round(oosRecall),
    clinc150_10shot_acc: round(tenShotAcc),
    clinc150_inscope_acc_argmax: round(inScopeArgmax),
    clinc150_threshold: round(threshold),
    clinc150_train_ms: Math.round(trainMs),
  };
}

if (require.main === module) {
  clinc150Bench()
    .then((r) => console.table(r))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
