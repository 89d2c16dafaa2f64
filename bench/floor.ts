// The Node floor programs (bench/floor-*.ts) as child processes, and the statistics every floor
// row reports: each round, then the median and the spread (min to max), never the best round.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort } from '../test/support/processes';
import { round } from './measure';

export interface FloorProcess {
  url: string;
  pid: number;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<void>;
  /** The child's own CPU use so far (process.cpuUsage, asked over IPC), in ms. */
  cpuMs(): Promise<number>;
}

/**
 * Runs `bench/<file>` in its own node process (through tsx's loader, so the pid is the program's)
 * and waits for its `ready` message. `nodeArgs` go to node (e.g. `--cpu-prof`).
 */
export async function startFloor(
  file: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<FloorProcess> {
  const port = await freePort();
  const args = [...nodeArgs, '--import', 'tsx', join(__dirname, file)];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [first] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${file} exited with ${String(code)} before it was ready`);
    }),
  ])) as [unknown];
  if (first !== 'ready') throw new Error(`${file} said ${JSON.stringify(first)}, not ready`);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
    async cpuMs() {
      const answer = once(child, 'message');
      child.send('cpu');
      const [usage] = (await answer) as [{ user: number; system: number }];
      return (usage.user + usage.system) / 1000;
    },
  };
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, rounds: values };
}

/** Closed-loop rounds of one side of a comparison: throughput and p99 spreads, non-2xx answers. */
export interface RoundsSummary {
  perSecond: Spread;
  p99Ms: Spread;
  non2xx: number;
}

export function summarizeRounds(
  rounds: ReadonlyArray<{ perSecond: number; p99Ms: number; non2xx: number }>,
): RoundsSummary {
  return {
    perSecond: spread(rounds.map((r) => r.perSecond)),
    p99Ms: spread(rounds.map((r) => r.p99Ms)),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
  };
}

/** "median 512 (480 to 530; rounds 480, 512, 530)" with `unit` after each figure. */
export function describeSpread(s: Spread, unit: string, digits = 0): string {
  const f = (value: number) => `${round(value, digits)}${unit}`;
  const range = s.rounds.length > 1 ? ` (${f(s.min)} to ${f(s.max)})` : '';
  return `median ${f(s.median)}${range}; rounds ${s.rounds.map(f).join(', ')}`;
}

/** A ratio that must have been computed: the smoke run fails on NaN, Infinity or zero. */
export function ratioOf(numerator: number, denominator: number): number {
  const ratio = numerator / denominator;
  if (!Number.isFinite(ratio) || ratio <= 0) {
    throw new Error(`ratio not computed: ${numerator} / ${denominator}`);
  }
  return ratio;
}
