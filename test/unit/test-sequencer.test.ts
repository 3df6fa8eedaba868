/**
 * The suite's own ordering (test/support/sequencer.js): on a fresh clone, with no
 * durations cached by jest, the longest files still start first, so neither of
 * CI's two workers idles through the end of the run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const LongestFirst = require('../support/sequencer.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const measured: Record<string, number> = require('../support/test-durations.json');

const ROOT = join(__dirname, '..', '..');

function fakeTest(path: string, bytes: number) {
  const context = { config: { rootDir: ROOT, cache: false }, hasteFS: { getSize: () => bytes } };
  return { path: join(ROOT, path), context, duration: undefined as number | undefined };
}

describe('test sequencer', () => {
  it('names only test files that exist', () => {
    const missing = Object.keys(measured).filter((file) => !existsSync(join(ROOT, file)));
    expect(missing).toEqual([]);
    expect(Object.keys(measured).length).toBeGreaterThan(10);
  });

  it('starts the measured longest files first, then the rest largest first, on a machine with no cached durations', () => {
    const tests = [
      fakeTest('test/unit/small-new.test.ts', 100),
      fakeTest('test/fuzz/edges.test.ts', 10),
      fakeTest('test/unit/big-new.test.ts', 90_000),
      fakeTest('test/eval/eval.test.ts', 20),
      fakeTest('test/e2e/handoff.e2e.test.ts', 30),
    ];
    const order = new LongestFirst({}).sort(tests).map((t: { path: string }) => t.path.slice(ROOT.length + 1));
    const measuredFirst = ['test/eval/eval.test.ts', 'test/fuzz/edges.test.ts', 'test/e2e/handoff.e2e.test.ts'].sort((a, b) => (measured[b] ?? 0) - (measured[a] ?? 0));
    expect(order).toEqual([...measuredFirst, 'test/unit/big-new.test.ts', 'test/unit/small-new.test.ts']);
    expect(tests.find((t) => t.path.endsWith('eval.test.ts'))?.duration).toBe(measured['test/eval/eval.test.ts'] * 1000);
  });
});
