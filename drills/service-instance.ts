// One instance of the built service (dist/src/start.js, with npm start's node arguments), in a
// process group of its own so a drill can SIGKILL it as a crash would, and start it again on the
// same ports. Every instance is killed when the drill process exits, whatever the reason.
// Another build of the service can be run from its own root (the self-check's broken builds).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { startArguments } from '../bench/stack';
import { findExecutable } from '../test/support/processes';
import { waitFor } from '../test/support/wait-for';

const ROOT = path.resolve(__dirname, '..');
/** How long the orderly stop may take (the service's own shutdown deadline is 30 s by default). */
export const STOP_TIMEOUT_MS = 45_000;

export interface OrderlyStop {
  /** The exit code, or the signal that ended it, or `timeout`. */
  exit: number | string;
  /** Lines logged at level error (or not JSON: a crash's stack) after the SIGTERM. */
  errors: string[];
}

/**
 * How long a (re)started instance may take to answer /health. Generous on purpose: start-up
 * waits for the consumer to join its group (issue 14; a restarted instance has been seen to
 * spend about 60 s in rebalances), and the drills do not work around that.
 */
export const START_TIMEOUT_MS = 180_000;

export interface ServiceInstance {
  name: string;
  url: string;
  adminUrl: string;
  isUp(): boolean;
  start(): Promise<void>;
  /** kill -9 of its process group. */
  crash(): Promise<void>;
  /** SIGTERM and wait: the orderly stop; `undefined` if it was not running. */
  stop(): Promise<OrderlyStop | undefined>;
  /** The last lines it wrote (for a failure report). */
  output(): string;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // already gone
  }
}

export function serviceInstance(
  name: string,
  ports: { port: number; adminPort: number },
  env: Record<string, string>,
  /** The directory holding the build to run (its dist/src/start.js); this checkout's by default. */
  root = ROOT,
): ServiceInstance {
  let child: ChildProcess | undefined;
  let output = '';
  /** What it wrote since its SIGTERM, while an orderly stop is under way. */
  let sinceStop: string | undefined;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${ports.port}`;
  const ended = async (signal: NodeJS.Signals) => {
    if (!child || !alive()) return;
    const exited = once(child, 'exit');
    killGroup(child, signal);
    await exited;
    running.delete(child);
  };
  return {
    name,
    url,
    adminUrl: `http://127.0.0.1:${ports.adminPort}`,
    isUp: alive,
    async start() {
      const setpriv = findExecutable('setpriv');
      const command = [process.execPath, ...startArguments()]; // dist/src/start.js included
      const [program, ...args] = setpriv ? [setpriv, '--pdeathsig', 'KILL', ...command] : command;
      child = spawn(program as string, args, {
        cwd: root,
        env: { ...env, PORT: String(ports.port), ADMIN_PORT: String(ports.adminPort) },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-8_000);
        if (sinceStop !== undefined) sinceStop = (sinceStop + chunk.toString()).slice(-64_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const started = child;
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error(`${name} exited: ${output.slice(-500)}`);
          return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
        },
        { timeoutMs: START_TIMEOUT_MS, intervalMs: 250, message: `${name} answering /health` },
      );
    },
    crash: () => ended('SIGKILL'),
    async stop() {
      if (!child || !alive()) return undefined;
      const stopping = child;
      sinceStop = '';
      const exited = once(stopping, 'close'); // after its output is all read
      killGroup(stopping, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') await ended('SIGKILL');
      running.delete(stopping);
      const errors = (sinceStop ?? '')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .filter((line) => {
          try {
            return (JSON.parse(line) as { level?: string }).level === 'error';
          } catch {
            return true;
          }
        });
      sinceStop = undefined;
      return {
        exit: result === 'timeout' ? 'timeout' : (stopping.exitCode ?? stopping.signalCode ?? '?'),
        errors,
      };
    },
    output: () => output,
  };
}
