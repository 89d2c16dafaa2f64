/**
 * A jest reporter for the end of a run, beside jest's own:
 * - lists every skipped or todo test by name, so a skip can never pass unseen;
 * - under CI (CI=true), fails the run on a skip that test/skip-allow-list.json does not list with
 *   a reason (getLastError is jest's hook for a reporter to fail a run);
 * - prints one plain closing line, `Tests: N passed, N failed, N skipped`, the shape that any CI
 *   reader understands (jest's own "N passed, N total" is not), and writes it to
 *   .ci/test-summary.txt so .ci/run can repeat it as the last line of its log;
 * - just above it, when the tests ran in random order, the seed and how to replay that order.
 */
const fs = require('node:fs');
const path = require('node:path');

class CiSummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    // jest.config.ts randomizes; `--seed` replays an order (jest picks a seed when none is given).
    this.seed = globalConfig.randomize ? globalConfig.seed : undefined;
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      const relative = path.relative(this.rootDir, file.testFilePath);
      for (const test of file.testResults) {
        if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
          skipped.push(`${relative} › ${test.fullName}`);
        }
      }
    }
    const allowed = readAllowList(this.rootDir);
    const unexplained = skipped.filter(
      (name) => !allowed.some((entry) => name.includes(entry.test)),
    );
    const out = [];
    if (skipped.length > 0) {
      out.push(`Skipped tests (${skipped.length}):`);
      for (const name of skipped) {
        out.push(`  ${unexplained.includes(name) ? 'NOT ALLOWED' : 'allowed'}: ${name}`);
      }
    }
    if (process.env.CI === 'true' && unexplained.length > 0) {
      this.error = new Error(
        `${unexplained.length} skipped test(s) not on test/skip-allow-list.json: CI fails on an unexplained skip`,
      );
      out.push(this.error.message);
    }
    // A suite that failed to load has no failed test in it: it counts as one failure here.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line =
      `Tests: ${results.numPassedTests} passed, ${failed} failed, ` +
      `${results.numPendingTests + results.numTodoTests} skipped`;
    const order =
      this.seed === undefined
        ? []
        : [`Order: random, seed ${this.seed} (replay it: npx jest --seed=${this.seed})`];
    out.push(...order, line);
    process.stderr.write(`\n${out.join('\n')}\n`);
    try {
      fs.mkdirSync(path.join(this.rootDir, '.ci'), { recursive: true });
      const summary = [...order, line].join('\n');
      fs.writeFileSync(path.join(this.rootDir, '.ci', 'test-summary.txt'), `${summary}\n`);
    } catch {
      // The summary file is a convenience for .ci/run; the line above is already printed.
    }
  }

  getLastError() {
    return this.error;
  }
}

function readAllowList(rootDir) {
  const file = path.join(rootDir, 'test', 'skip-allow-list.json');
  if (!fs.existsSync(file)) return [];
  const entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const entry of entries) {
    if (
      typeof entry.test !== 'string' ||
      typeof entry.reason !== 'string' ||
      !entry.reason.trim()
    ) {
      throw new Error(`test/skip-allow-list.json: every entry needs "test" and a "reason"`);
    }
  }
  return entries;
}

module.exports = CiSummaryReporter;
