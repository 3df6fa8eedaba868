/**
 * Trained intent models kept in a folder (INTENT_MODEL_CACHE_DIR): the local cloud and the tests set it, because
 * every test file (a fresh module registry) and every restart would otherwise train the same model again, ~0.5 s of
 * CPU each on 2 cores. Deployed functions never set it: a warm container keeps its models in memory.
 *
 * A model is named by its training input and by a digest of the code and data that train it (the source files
 * beside this one): a change to the training code or the labelled utterances never meets a model trained before
 * it. A bundled function has no such files, so it gets no store. One file per model, written to a temporary name
 * and renamed, so concurrent processes never read half a file; a file that cannot be read is trained again, and a
 * failed write only costs the next process the training.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { useIntentModelStore, type IntentModelState, type IntentModelStore } from '../../core/nlu/intents';

const CORE = join(__dirname, '..', '..', 'core');
/** What trains a model: the classifier, its features and their text folding, the regression, the labelled utterances. */
const TRAINING_SOURCES = ['nlu/intents.ts', 'nlu/features.ts', 'nlu/logreg.ts', 'nlu/data/utterances.json', 'answer/text.ts'].map((f) => join(CORE, f));

const floats = z.string().transform((b64) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
});
const range = z.tuple([z.number().int(), z.number().int()]);
const storedModel = z.object({
  intents: z.array(z.string()),
  vectorizer: z.object({ charRange: range, wordRange: range, minDf: z.number(), vocabulary: z.array(z.string()), idf: floats }),
  w: floats,
  bias: floats,
});

const base64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/** A store of trained models in `dir`, or undefined where the training code cannot be read (a bundle). */
export function diskIntentModelStore(dir: string): IntentModelStore | undefined {
  let code: string;
  try {
    const hash = createHash('sha256');
    for (const file of TRAINING_SOURCES) hash.update(readFileSync(file)).update('\0');
    code = hash.digest('hex');
  } catch {
    return undefined;
  }
  const fileOf = (key: string): string => join(dir, `${createHash('sha256').update(code).update('\0').update(key).digest('hex')}.json`);
  return {
    load(key: string): IntentModelState | undefined {
      try {
        return storedModel.parse(JSON.parse(readFileSync(fileOf(key), 'utf8')));
      } catch {
        return undefined;
      }
    },
    save(key: string, state: IntentModelState): void {
      const file = fileOf(key);
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        mkdirSync(dir, { recursive: true });
        const { vectorizer } = state;
        writeFileSync(
          temporary,
          JSON.stringify({ intents: state.intents, vectorizer: { ...vectorizer, idf: base64(vectorizer.idf) }, w: base64(state.w), bias: base64(state.bias) }),
        );
        renameSync(temporary, file);
      } catch {
        // best effort: the next process trains it again
      }
    },
  };
}

/** Keeps trained intent models in `dir` from now on (when the training code can be read). */
export function keepIntentModelsIn(dir: string): void {
  const store = diskIntentModelStore(dir);
  if (store) useIntentModelStore(store);
}
