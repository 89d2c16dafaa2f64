// `npm run bench`: every figure is a ratio against a baseline measured in the same run, on the
// same machine and broker, because absolute numbers on shared 2-core machines are noise.
import { startBenchStack } from './stack';
import { round } from './measure';
import {
  drainThroughput,
  healthLoad,
  idleLatency,
  intakeLoad,
  pollOnlyLatency,
  rawInsertLoad,
  residentMemoryMb,
} from './scenarios';

const QUICK = process.argv.includes('--quick');
const N = QUICK ? 300 : 2_000;
const CONCURRENCY = 16;

async function main(): Promise<void> {
  const stack = await startBenchStack();
  process.stderr.write(`${stack.summary}\n`);
  const rows: Array<[string, string, string, string]> = [];
  try {
    const rssBefore = await residentMemoryMb(stack);
    const health = await healthLoad(stack, N, CONCURRENCY);
    const raw = await rawInsertLoad(stack, N, CONCURRENCY);
    const intake = await intakeLoad(stack, N, CONCURRENCY);
    const rssAfter = await residentMemoryMb(stack);
    rows.push(
      [
        'intake POST /orders',
        `${round(intake.perSecond, 0)}/s, p50 ${round(intake.p50Ms)} ms, p95 ${round(intake.p95Ms)} ms`,
        `GET /health ${round(health.perSecond, 0)}/s`,
        `${round(intake.perSecond / health.perSecond, 2)}x`,
      ],
      [
        'intake vs raw SQL',
        `${round(intake.perSecond, 0)}/s`,
        `same 4 inserts via pg ${round(raw.perSecond, 0)}/s`,
        `${round(intake.perSecond / raw.perSecond, 2)}x`,
      ],
      [
        'service RSS after intake load',
        `${round(rssAfter)} MB`,
        `before load ${round(rssBefore)} MB`,
        `${round(rssAfter / rssBefore, 2)}x`,
      ],
    );

    const latency = await idleLatency(stack, QUICK ? 10 : 40, 50);
    rows.push([
      'idle: 202 to record consumed',
      `p50 ${round(latency.relay.p50Ms)} ms, p95 ${round(latency.relay.p95Ms)} ms`,
      `kafkajs produce->consume p50 ${round(latency.raw.p50Ms)} ms, p95 ${round(latency.raw.p95Ms)} ms`,
      `${round(latency.relay.p50Ms / latency.raw.p50Ms, 2)}x (p50)`,
    ]);
    const pollOnly = await pollOnlyLatency(stack, QUICK ? 5 : 12);
    rows.push([
      'idle, NOTIFY trigger disabled',
      `p50 ${round(pollOnly.p50Ms)} ms, p95 ${round(pollOnly.p95Ms)} ms`,
      `with NOTIFY p50 ${round(latency.relay.p50Ms)} ms`,
      `${round(pollOnly.p50Ms / latency.relay.p50Ms, 1)}x slower`,
    ]);

    const drain = await drainThroughput(stack, QUICK ? 2_000 : 20_000, 500);
    rows.push([
      'outbox backlog drain',
      `${round(drain.relayPerSecond, 0)} rows/s`,
      `kafkajs sendBatch of encoded records ${round(drain.rawPerSecond, 0)}/s`,
      `${round(drain.relayPerSecond / drain.rawPerSecond, 2)}x`,
    ]);
  } finally {
    await stack.stop();
  }
  printTable(['measure', 'result', 'baseline (same run)', 'ratio'], rows);
}

function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  rows.forEach((row) => console.log(line(row)));
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
