// Reading one order (`GET /api/v1/orders/{id}`: one prepared statement since 56bf09a, Prisma's
// findUnique with its items and history before): `tsx bench/profile-reads.ts [--rounds N]
// [--node-flag FLAG]...` (after `npm run build`). A fresh stack, one order placed, a 2 s warm-up,
// then rounds of 6 s from 16 connections, each with its reads/s, p99 and the service's CPU per read.
import autocannon from 'autocannon';
import { startLocalServices } from '../test/support/local-services';
import { ORDER_BODY } from './intake';
import { processCpuSeconds, processMemoryMb } from './measure';
import { nodeFlagArguments, numberArgument, runProfileScript } from './profiled-service';
import { startBenchStack } from './stack';

async function main(): Promise<void> {
  const rounds = numberArgument('--rounds', 2);
  const nodeFlags = nodeFlagArguments();
  const services = await startLocalServices();
  try {
    const stack = await startBenchStack(services, {}, 1, nodeFlags);
    try {
      const placed = await fetch(`${stack.serviceUrl}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...stack.authorization },
        body: ORDER_BODY,
      });
      if (!placed.ok) throw new Error(`placing the order answered ${placed.status}`);
      const { id } = (await placed.json()) as { id: string };
      const load = { url: `${stack.serviceUrl}/api/v1/orders/${id}`, headers: stack.authorization };
      await autocannon({ ...load, connections: 16, duration: 2 });
      for (let round = 1; round <= rounds; round++) {
        const cpuBefore = processCpuSeconds(stack.pid);
        const result = await autocannon({ ...load, connections: 16, duration: 6 });
        const cpuMs = (processCpuSeconds(stack.pid) - cpuBefore) * 1000;
        if (result.non2xx > 0) throw new Error(`${result.non2xx} reads were not answered 200`);
        process.stdout.write(
          `round ${round} ${nodeFlags.join(' ')}: ${result.requests.average.toFixed(0)} reads/s, p99 ${result.latency.p99} ms, ${(cpuMs / result['2xx']).toFixed(2)} ms CPU per read, peak RSS ${processMemoryMb(stack.pid).peakRssMb.toFixed(0)} MB\n`,
        );
      }
    } finally {
      await stack.stop();
    }
  } finally {
    await services.stop();
  }
}

runProfileScript(main);
