// Where the service's memory goes during the saga run (the run whose peak RSS issue 23 bounds):
// `tsx bench/profile-memory.ts [--orders N] [--runs N] [--node-flag FLAG]...` (after
// `npm run build`). Each run is a fresh stack; every 100 ms it reads the process's resident
// memory from /proc (anonymous and file-backed) and V8's heap from the service's own metrics, and
// prints the split at the highest sample, then the largest mappings at the end. `--node-flag`
// goes after `npm start`'s flags, so `--node-flag --no-liftoff-only` compares without one.
import { readFileSync } from 'node:fs';
import { startLocalServices } from '../test/support/local-services';
import { processMemoryMb } from './measure';
import { nodeFlagArguments, numberArgument, runProfileScript } from './profiled-service';
import { sagaThroughput } from './saga';
import { startBenchStack } from './stack';

const MB = 1024 * 1024;

/** V8's heap from prom-client's default metrics: total, used, and each space's size. */
async function heapMb(adminUrl: string) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1]) / MB;
  const spaces = [
    ...text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="(\w+)"[^}]*\} (\d+)/gm),
  ]
    .filter((match) => Number(match[2]) >= MB)
    .map((match) => `${match[1]} ${(Number(match[2]) / MB).toFixed(0)}`);
  return `heap ${gauge('nodejs_heap_size_total_bytes').toFixed(0)} (used ${gauge('nodejs_heap_size_used_bytes').toFixed(0)}; ${spaces.join(', ')}), external ${gauge('nodejs_external_memory_bytes').toFixed(0)}`;
}

/** The `count` mappings with the most resident memory, from /proc/<pid>/smaps. */
function largestMappings(pid: number, count: number): string[] {
  const mappings: Array<{ header: string; rssKb: number }> = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mappings.push({ header: line, rssKb: 0 });
    else if (line.startsWith('Rss:') && mappings.length > 0) {
      (mappings.at(-1) as { rssKb: number }).rssKb = Number(line.split(/\s+/)[1]);
    }
  }
  return mappings
    .sort((a, b) => b.rssKb - a.rssKb)
    .slice(0, count)
    .map(({ header, rssKb }) => {
      const [range, , , , , name] = header.split(/\s+/);
      return `${(rssKb / 1024).toFixed(0)} MB ${range} ${name || '[anonymous]'}`;
    });
}

async function main(): Promise<void> {
  const orders = numberArgument('--orders', 10_000);
  const runs = numberArgument('--runs', 1);
  const nodeFlags = nodeFlagArguments();
  const services = await startLocalServices();
  try {
    for (let run = 1; run <= runs; run++) {
      const stack = await startBenchStack(services, {}, 1, nodeFlags);
      try {
        const atStart = processMemoryMb(stack.pid);
        let highest = { rss: 0, line: '' };
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const memory = processMemoryMb(stack.pid);
            const heap = await heapMb(stack.adminUrl).catch(() => 'heap unread');
            if (memory.rssMb > highest.rss) {
              highest = {
                rss: memory.rssMb,
                line: `RSS ${memory.rssMb.toFixed(0)} (anonymous ${memory.anonMb.toFixed(0)}, files ${memory.fileMb.toFixed(0)}); ${heap}`,
              };
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })();
        const saga = await sagaThroughput(stack, orders, 64, 600_000);
        sampling = false;
        await sampler;
        process.stdout.write(
          `run ${run} ${nodeFlags.join(' ')}: RSS at start ${atStart.rssMb.toFixed(0)} MB, peak ${processMemoryMb(stack.pid).peakRssMb.toFixed(0)} MB; ${saga.sagasPerSecond.toFixed(0)} sagas/s, ${saga.serviceCpuMsPerSaga.toFixed(2)} ms CPU per saga\n` +
            `  highest sample: ${highest.line}\n` +
            `  largest mappings at the end:\n${largestMappings(stack.pid, 6)
              .map((line) => `    ${line}\n`)
              .join('')}`,
        );
      } finally {
        await stack.stop();
      }
    }
  } finally {
    await services.stop();
  }
}

runProfileScript(main);
