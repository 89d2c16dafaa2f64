// A counter summed over both instances' admin /metrics, so a drill can show that its faults
// were felt (duplicates counted, retries taken) and cannot pass without them.
import type { DrillStack } from './drill-stack';

/** `name`'s samples whose labels include every pair of `labels`, added up over the instances. */
export async function counterTotal(
  stack: DrillStack,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  let total = 0;
  for (const instance of stack.instances) {
    const response = await fetch(`${instance.adminUrl}/metrics`, {
      signal: AbortSignal.timeout(5_000),
    });
    for (const line of (await response.text()).split('\n')) {
      const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (sample?.[1] !== name) continue;
      if (wanted.every((pair) => (sample[2] ?? '').includes(pair))) total += Number(sample[3]);
    }
  }
  return total;
}
