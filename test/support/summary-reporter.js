/**
 * Prints the run's result as one plain closing line, `jest: N passed, N failed`
 * (CI reads that line; jest's own summary is not recognised there). Before it, the
 * ten slowest test files, so the suite's time budget is easy to watch.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const slowest = results.testResults
      .map((r) => ({ file: r.testFilePath.replace(process.cwd() + '/', ''), seconds: (r.perfStats.end - r.perfStats.start) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 10);
    if (slowest.length > 1) {
      process.stdout.write('\nslowest test files:\n');
      for (const s of slowest) process.stdout.write(`  ${s.seconds.toFixed(1).padStart(6)} s  ${s.file}\n`);
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\njest: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
module.exports = SummaryReporter;
