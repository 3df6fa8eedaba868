/**
 * Longest test files first, on a fresh clone too. Jest orders by the durations it
 * cached on earlier runs on the same machine, and without them (CI's fresh clone)
 * by file size, which put the 3-minute eval near the end of the run, with one
 * worker idle for its last minute. test-durations.json holds the files measured
 * at 8 s or more on the 2-core CI machine (refresh it from the summary reporter's
 * "slowest test files" when the suite changes); a duration this machine cached is
 * preferred, and files in neither are run after them, largest first.
 */
const { relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const measured = require('./test-durations.json');

class LongestFirst extends Sequencer {
  sort(tests) {
    const seconds = (test) => {
      const cached = this.time(test);
      if (cached != null) return cached / 1000;
      const known = measured[relative(test.context.config.rootDir, test.path).split('\\').join('/')];
      return known ?? null;
    };
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    const keyed = tests.map((test) => ({ test, failed: this.hasFailed(test), seconds: seconds(test), size: size(test) }));
    for (const k of keyed) if (k.seconds != null) k.test.duration = k.seconds * 1000;
    keyed.sort((a, b) => {
      // As jest does: what failed last time runs first, for quick feedback.
      if (a.failed !== b.failed) return a.failed ? -1 : 1;
      if (a.seconds != null && b.seconds != null) return b.seconds - a.seconds;
      if (a.seconds != null) return -1;
      if (b.seconds != null) return 1;
      return b.size - a.size;
    });
    return keyed.map((k) => k.test);
  }
}

module.exports = LongestFirst;
