// Issue 23: where intake's CPU goes. Starts a fresh bench stack whose service runs under
// `node --cpu-prof`, drives the bench's intake load at it (same body, token and connections),
// stops it so the profile is written, and prints bench/cpu-profile-summary.ts's summary.
// `tsx bench/profile-intake.ts [seconds=10] [connections=64] [outDir=/tmp/intake-profile]`
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalServices } from '../test/support/local-services';
import { summarise } from './cpu-profile-summary';
import { intakeRound } from './intake';
import { processCpuSeconds } from './measure';
import { startBenchStack } from './stack';

async function main(): Promise<void> {
  const [seconds = '10', connections = '64', outDir = '/tmp/intake-profile'] =
    process.argv.slice(2);
  mkdirSync(outDir, { recursive: true });
  const services = await startLocalServices();
  try {
    const stack = await startBenchStack(services, {}, 1, [
      '--cpu-prof',
      `--cpu-prof-dir=${outDir}`,
    ]);
    try {
      await intakeRound(stack, Number(connections), 2); // warm-up, as the bench's first round is
      const cpuBefore = processCpuSeconds(stack.pid);
      const result = await intakeRound(stack, Number(connections), Number(seconds));
      // CPU per order holds better than orders/s on a machine others share.
      const cpuMsPerOrder = ((processCpuSeconds(stack.pid) - cpuBefore) * 1_000) / result.count;
      process.stdout.write(
        `${result.perSecond.toFixed(0)} orders/s, p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}, ` +
          `service CPU ${cpuMsPerOrder.toFixed(3)} ms per order (relay included)\n`,
      );
    } finally {
      await stack.stop();
    }
    const newest = readdirSync(outDir)
      .filter((file) => file.endsWith('.cpuprofile'))
      .map((file) => path.join(outDir, file))
      .sort()
      .at(-1);
    if (!newest) throw new Error(`no .cpuprofile in ${outDir}`);
    process.stdout.write(`${newest}\n`);
    for (const line of summarise(JSON.parse(readFileSync(newest, 'utf8')))) {
      process.stdout.write(`${line}\n`);
    }
  } finally {
    await services.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
