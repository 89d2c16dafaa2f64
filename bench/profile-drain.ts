// Issue 23 item 3: where the relay's CPU goes while it drains a backlog. Starts a fresh bench
// stack whose service runs under `node --cpu-prof`, drains `rows` outbox rows (as the bench's
// drain row does), stops it so the profile is written, and prints the relay's rows/s, the CPU
// per row, then the bench's baseline (kafkajs alone) on the same stack, the whole machine's CPU
// per row by process for each, and bench/cpu-profile-summary.ts's summary.
// `tsx bench/profile-drain.ts [rows=40000] [outDir=/tmp/drain-profile] [OUTBOX_BATCH_SIZE]`
import { cpuSecondsByGroup, machineCpuLines, processCpuSeconds } from './measure';
import { runProfileScript, withProfiledService } from './profiled-service';
import { RELAY_BATCH_SIZE, rawSendThroughput, relayDrainThroughput } from './scenarios';

runProfileScript(async () => {
  const [rows = '40000', outDir = '/tmp/drain-profile', batchSize] = process.argv.slice(2);
  const env: Record<string, string> = batchSize ? { OUTBOX_BATCH_SIZE: batchSize } : {};
  await withProfiledService(outDir, env, async (stack) => {
    const count = Number(rows);
    await relayDrainThroughput(stack, 2_000); // warm-up: connections, schemas, JIT
    const batch = batchSize ? Number(batchSize) : RELAY_BATCH_SIZE;
    // Each from the moment the bench starts timing it: writing the backlog is not the relay's
    // work, and encoding the records ahead is not the baseline's.
    const relay = await fromTimingStart((started) => relayDrainThroughput(stack, count, started));
    const baseline = await fromTimingStart((started) =>
      rawSendThroughput(stack, count, batch, started),
    );
    process.stdout.write(
      [
        `relay: ${relay.perSecond.toFixed(0)} rows/s, CPU per row ${relay.serviceMicros} µs`,
        ...relay.machine,
        `baseline, kafkajs sendBatch of pre-encoded records in the bench's process: ${baseline.perSecond.toFixed(0)} rows/s`,
        ...baseline.machine,
      ].join('\n') + '\n',
    );

    /** A scenario's rows/s, with the service's and the machine's CPU per row from its timing start. */
    async function fromTimingStart(run: (started: () => void) => Promise<number>) {
      const named = { service: stack.pid, bench: process.pid };
      let before = { service: 0, machine: new Map<string, number>() };
      const perSecond = await run(() => {
        before = { service: processCpuSeconds(stack.pid), machine: cpuSecondsByGroup(named) };
      });
      const serviceSeconds = processCpuSeconds(stack.pid) - before.service;
      return {
        perSecond,
        serviceMicros: ((serviceSeconds * 1e6) / count).toFixed(1),
        machine: machineCpuLines(before.machine, cpuSecondsByGroup(named), count, 'row', {
          factor: 1e6,
          label: 'µs',
        }),
      };
    }
  });
});
