/**
 * Trained intent models kept on disk (adapters/nlu/intent-model-cache.ts): a restored model is the trained one
 * (same probabilities), it is named by its training input, and a file that cannot be read is trained again.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskIntentModelStore, keepIntentModelsIn } from '../../lambdas/adapters/nlu/intent-model-cache';
import { IntentClassifier, useIntentModelStore, type IntentModelState, type IntentModelStore } from '../../lambdas/core/nlu/intents';

const SAMPLES = ['hi there', 'I want to book a cleaning on Friday', 'cancel my appointment', '¿Cuánto cuesta el blanqueamiento?', 'can I talk to a person', 'asdf qwer', 'thanks!'];
const FAQS = ['Do you have parking?', 'Which insurers do you accept?'];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'concierge-intents-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  // setup-env's store for the rest of the suite
  keepIntentModelsIn(join(__dirname, '..', '..', 'node_modules', '.cache', 'concierge', 'intent-models'));
});

/** The disk store, counting what it is asked. */
function counted(inner: IntentModelStore): IntentModelStore & { loads: number; hits: number; saves: number } {
  const c = {
    loads: 0,
    hits: 0,
    saves: 0,
    load(key: string): IntentModelState | undefined {
      c.loads++;
      const found = inner.load(key);
      if (found) c.hits++;
      return found;
    },
    save(key: string, state: IntentModelState): void {
      c.saves++;
      inner.save(key, state);
    },
  };
  return c;
}

const probabilities = (c: IntentClassifier) => SAMPLES.map((s) => c.predict(s));

it('gives back the model it was given: the same predictions and confidences, trained once', () => {
  const disk = diskIntentModelStore(dir);
  if (!disk) throw new Error('the training code is readable here: a store is expected');
  const store = counted(disk);
  useIntentModelStore(store);
  const trained = IntentClassifier.train(FAQS);
  expect([store.loads, store.hits, store.saves]).toEqual([1, 0, 1]);
  expect(readdirSync(dir)).toHaveLength(1);
  const restored = IntentClassifier.train(FAQS);
  expect([store.loads, store.hits, store.saves]).toEqual([2, 1, 1]);
  expect(probabilities(restored)).toEqual(probabilities(trained));
  // …and what training without any store gives.
  useIntentModelStore(undefined);
  expect(probabilities(IntentClassifier.train(FAQS))).toEqual(probabilities(trained));
});

it('names a model by its training input: other FAQ questions or epochs are another model', () => {
  const disk = diskIntentModelStore(dir);
  if (!disk) throw new Error('a store is expected');
  const store = counted(disk);
  useIntentModelStore(store);
  IntentClassifier.train(FAQS);
  IntentClassifier.train([...FAQS, 'Is there wheelchair access?']);
  IntentClassifier.train(FAQS, { epochs: 3 });
  expect(store.hits).toBe(0);
  expect(readdirSync(dir)).toHaveLength(3);
});

it('trains again over a file that cannot be read, and stores the model anew', () => {
  const disk = diskIntentModelStore(dir);
  if (!disk) throw new Error('a store is expected');
  useIntentModelStore(disk);
  const trained = IntentClassifier.train(FAQS);
  const [file] = readdirSync(dir);
  if (!file) throw new Error('no model file');
  writeFileSync(join(dir, file), '{"intents": ["question"], "w": "AAAA"');
  const store = counted(disk);
  useIntentModelStore(store);
  const again = IntentClassifier.train(FAQS);
  expect([store.hits, store.saves]).toEqual([0, 1]);
  expect(probabilities(again)).toEqual(probabilities(trained));
});
