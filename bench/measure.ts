// Small measuring helpers: closed-loop load with fixed concurrency, percentiles, memory.
import { readdirSync, readFileSync } from 'node:fs';

export interface Percentiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface LoadResult extends Percentiles {
  count: number;
  seconds: number;
  perSecond: number;
}

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99) };
}

/**
 * Resident memory of a process from /proc, in MB: now (VmRSS), its peak so far (VmHWM), and now
 * split into anonymous memory (heaps, malloc arenas) and file-backed pages (node's own text).
 */
export function processMemoryMb(pid: number): {
  rssMb: number;
  peakRssMb: number;
  anonMb: number;
  fileMb: number;
} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024;
  return {
    rssMb: mb('VmRSS'),
    peakRssMb: mb('VmHWM'),
    anonMb: mb('RssAnon'),
    fileMb: mb('RssFile'),
  };
}

/** A /proc/<pid>/stat line's command, and its user and system CPU seconds so far. */
function cpuOfStat(stat: string): { command: string; user: number; system: number } {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th,
  // in clock ticks (USER_HZ = 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    user: Number(fields[11]) / 100,
    system: Number(fields[12]) / 100,
  };
}

/** User and system CPU seconds a process has used so far. */
export function processCpuTimes(pid: number): { user: number; system: number } {
  const { user, system } = cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return { user, system };
}

/** CPU seconds (user + system) a process has used so far. */
export function processCpuSeconds(pid: number): number {
  const { user, system } = processCpuTimes(pid);
  return user + system;
}

/**
 * CPU seconds used so far by every process on the machine, summed by group: the named pids
 * apart, the rest by command name (`postgres`, `java`, ...). Two snapshots' difference says
 * where the machine's cores went between them.
 */
export function cpuSecondsByGroup(named: Record<string, number>): Map<string, number> {
  const groupOfPid = new Map(Object.entries(named).map(([group, pid]) => [pid, group]));
  const totals = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const { command, user, system } = cpuOfStat(stat);
    const group = groupOfPid.get(Number(entry)) ?? command;
    totals.set(group, (totals.get(group) ?? 0) + user + system);
  }
  return totals;
}

/**
 * Where the machine's cores went between two `cpuSecondsByGroup` snapshots, per unit of work
 * (`units` orders or rows), as printable lines: the total, then the largest groups.
 */
export function machineCpuLines(
  before: Map<string, number>,
  after: Map<string, number>,
  units: number,
  unit: string,
  scale: { factor: number; label: string } = { factor: 1000, label: 'ms' },
): string[] {
  const spent = [...after]
    .map(([group, total]) => [group, total - (before.get(group) ?? 0)] as const)
    .filter(([, seconds]) => seconds > 0)
    .sort((a, b) => b[1] - a[1]);
  const all = spent.reduce((sum, [, seconds]) => sum + seconds, 0);
  const per = (seconds: number) => ((seconds * scale.factor) / units).toFixed(3);
  return [
    `machine CPU per ${unit}, by process: ${per(all)} ${scale.label} in all`,
    ...spent.slice(0, 8).map(([group, seconds]) => `  ${per(seconds)} ${scale.label}  ${group}`),
  ];
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Runs `task` from `concurrency` workers for `seconds`; each worker waits for its last call. */
export async function timedLoop(
  seconds: number,
  concurrency: number,
  task: () => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await task();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const count = latencies.length;
  return { count, seconds: elapsed, perSecond: count / elapsed, ...percentiles(latencies) };
}
