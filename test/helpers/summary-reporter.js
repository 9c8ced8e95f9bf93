// Prints the run's totals as one plain line ("N passed, N failed") after Jest's own summary, so CI logs end
// with a count any tool can read.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\ntests: ${line}\n`);
  }
}
module.exports = SummaryReporter;
