// `npm run drills`: failure drills against two instances of the built service under load, each
// ending with the shared invariant check (invariants.ts). DRILLS=long for the long version and
// its figures (README's reliability table); DRILL_SEED=<n> replays a run's random choices;
// DRILL_ONLY=<words> runs the drills whose name contains one of them; DRILL_FREEZE_MS sets the
// broker hang's freeze; DRILL_SETTLE_TIMEOUT_MS caps the wait for a settled system (the
// self-check's broken builds never settle); DRILL_SERVICE_ROOT drills another build (a
// directory holding its dist/). Every run writes its results to
// drills/results/<date>T<hhmm>-drills-<mode>.json (DRILL_RESULTS_DIR elsewhere), from which
// `npm run docs:drills` renders the reliability table. Exits 1 on any violation.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatTable } from '../src/shared/text-table';
import { publishKafkaStack } from '../test/support/kafka-stack';
import { startLocalServices } from '../test/support/local-services';
import type { DrillMode, DrillResult } from './drill';
import { DRILLS, LONG_ONLY } from './drill-list';
import { seededRandom } from './seeded-random';

const log = (line: string) =>
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Where a run writes its results; the docs table is rendered from the files committed there. */
const RESULTS_DIR = path.join(__dirname, 'results');

function commitOf(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const commit = commitOf(); // at the start: the code that ran, not what was committed meanwhile
  const mode: DrillMode = process.env.DRILLS === 'long' ? 'long' : 'short';
  const seed = Number(process.env.DRILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const only = (process.env.DRILL_ONLY ?? '').split(/[\s,]+/).filter(Boolean);
  const drills = DRILLS.filter((drill) =>
    only.length > 0
      ? only.some((word) => drill.name.includes(word))
      : mode === 'long' || !LONG_ONLY.has(drill),
  );
  log(
    `drills (${mode}), seed ${seed}: replay with DRILL_SEED=${seed}${mode === 'long' ? ' DRILLS=long' : ''}`,
  );
  const services = await startLocalServices();
  log(services.summary);
  publishKafkaStack(services.kafka); // the test support's topic readers look for it there
  const results: DrillResult[] = [];
  try {
    for (const [index, drill] of drills.entries()) {
      log(`${drill.name}: starting`);
      // Each drill draws from its own stream, so one drill replays alone with DRILL_ONLY.
      const random = seededRandom(seed + DRILLS.indexOf(drill) * 7_919);
      const serviceRoot = process.env.DRILL_SERVICE_ROOT;
      const result = await drill.run({ services, mode, random, log, serviceRoot });
      results.push(result);
      log(
        `${drill.name}: ${result.violations.length === 0 ? 'passed' : 'FAILED'} (${index + 1}/${drills.length})`,
      );
      for (const violation of result.violations) log(`  violation: ${violation}`);
    }
  } finally {
    await services.stop();
  }
  printTable(results, seed, mode);
  const out = path.join(
    process.env.DRILL_RESULTS_DIR ?? RESULTS_DIR,
    // Down to the minute, so that no run overwrites a committed one (CI runs the drills in a checkout).
    `${startedAt.toISOString().slice(0, 16).replace(':', '')}-drills-${mode}.json`,
  );
  mkdirSync(path.dirname(out), { recursive: true });
  const record = {
    seed,
    mode,
    only: only.length > 0 ? only.join(',') : undefined,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 1_000),
    commit,
    serviceRoot: process.env.DRILL_SERVICE_ROOT,
    services: services.summary,
    results,
  };
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  log(`results written to ${path.relative(process.cwd(), out)}`);
  return results.every((result) => result.violations.length === 0) &&
    results.length === drills.length
    ? 0
    : 1;
}

function printTable(results: DrillResult[], seed: number, mode: DrillMode): void {
  const header = [
    'drill',
    'load',
    'faults',
    'accepted',
    'accepted outside faults',
    'cancelled',
    'completed',
    'lost',
    'double effects',
    'DLQ records',
    'recovery',
    'verdict',
  ];
  const rows = results.map((r) => [
    r.drill,
    r.load,
    r.faults,
    String(r.invariants.accepted),
    `${r.outsideFaults.accepted} of ${r.outsideFaults.offered} (≥ ${r.outsideFaults.required})`,
    `${r.invariants.cancelled} (${r.invariants.released} released)`,
    String(r.invariants.completed),
    String(r.invariants.lost),
    String(r.invariants.doubleEffects),
    String(r.invariants.dlqRecords),
    r.recovery,
    r.violations.length === 0 ? 'pass' : `FAIL (${r.violations.length})`,
  ]);
  for (const line of formatTable(header, rows, { style: 'markdown' }))
    process.stdout.write(`${line}\n`);
  process.stdout.write(
    `\nreproduce: DRILL_SEED=${seed}${mode === 'long' ? ' DRILLS=long' : ''} npm run drills\n`,
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(
      `drills failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
