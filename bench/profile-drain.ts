// Issue 23 item 3: where the relay's CPU goes while it drains a backlog. Starts a fresh bench
// stack whose service runs under `node --cpu-prof`, drains `rows` outbox rows (as the bench's
// drain row does), stops it so the profile is written, and prints the relay's rows/s, the CPU
// per row, the whole machine's CPU per row by process, and bench/cpu-profile-summary.ts's summary.
// `tsx bench/profile-drain.ts [rows=40000] [outDir=/tmp/drain-profile] [OUTBOX_BATCH_SIZE]`
import { cpuSecondsByGroup, machineCpuLines, processCpuSeconds } from './measure';
import { runProfileScript, withProfiledService } from './profiled-service';
import { relayDrainThroughput } from './scenarios';

runProfileScript(async () => {
  const [rows = '40000', outDir = '/tmp/drain-profile', batchSize] = process.argv.slice(2);
  const env: Record<string, string> = batchSize ? { OUTBOX_BATCH_SIZE: batchSize } : {};
  await withProfiledService(outDir, env, async (stack) => {
    await relayDrainThroughput(stack, 2_000); // warm-up: connections, schemas, JIT
    const named = { service: stack.pid, 'bench (inserts the backlog)': process.pid };
    const machineBefore = cpuSecondsByGroup(named);
    const before = processCpuSeconds(stack.pid);
    const perSecond = await relayDrainThroughput(stack, Number(rows));
    const cpuMs = (processCpuSeconds(stack.pid) - before) * 1000;
    const machineAfter = cpuSecondsByGroup(named);
    const lines = machineCpuLines(machineBefore, machineAfter, Number(rows), 'row', {
      factor: 1_000_000,
      label: 'µs',
    });
    process.stdout.write(
      `relay: ${perSecond.toFixed(0)} rows/s, CPU per row ${((cpuMs / Number(rows)) * 1000).toFixed(1)} µs\n` +
        `${lines.join('\n')}\n`,
    );
  });
});
