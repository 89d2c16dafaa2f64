// Issue 23 item 2: where the service's CPU per completed saga goes. Starts a fresh bench stack
// whose service runs under `node --cpu-prof`, runs the bench's saga scenario (instant peers,
// intake included), stops it so the profile is written, and prints the CPU per saga and
// bench/cpu-profile-summary.ts's summary.
// `tsx bench/profile-saga.ts [orders=5000] [connections=64] [outDir=/tmp/saga-profile]`
import { mkdirSync } from 'node:fs';
import { startLocalServices } from '../test/support/local-services';
import { printNewestProfile } from './cpu-profile-summary';
import { sagaThroughput } from './saga';
import { startBenchStack } from './stack';

async function main(): Promise<void> {
  const [orders = '5000', connections = '64', outDir = '/tmp/saga-profile'] = process.argv.slice(2);
  mkdirSync(outDir, { recursive: true });
  const services = await startLocalServices();
  try {
    const stack = await startBenchStack(services, {}, 1, [
      '--cpu-prof',
      `--cpu-prof-dir=${outDir}`,
    ]);
    try {
      await sagaThroughput(stack, 500, Number(connections), 120_000); // warm-up
      const result = await sagaThroughput(stack, Number(orders), Number(connections), 600_000);
      process.stdout.write(
        `saga: ${result.sagasPerSecond.toFixed(0)} sagas/s, ` +
          `CPU per saga ${result.serviceCpuMsPerSaga.toFixed(2)} ms\n`,
      );
    } finally {
      await stack.stop();
    }
    printNewestProfile(outDir);
  } finally {
    await services.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
