// One instance of the built service (dist/src/start.js, with npm start's node arguments), in a
// process group of its own so a drill can SIGKILL it as a crash would, and start it again on the
// same ports. Every instance is killed when the drill process exits, whatever the reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { startArguments } from '../bench/stack';
import { findExecutable } from '../test/support/processes';
import { waitFor } from '../test/support/wait-for';

const ROOT = path.resolve(__dirname, '..');

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
  /** SIGTERM and wait: the orderly stop. */
  stop(): Promise<void>;
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
): ServiceInstance {
  let child: ChildProcess | undefined;
  let output = '';
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
        cwd: ROOT,
        env: { ...env, PORT: String(ports.port), ADMIN_PORT: String(ports.adminPort) },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running.add(child);
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-8_000);
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
    stop: () => ended('SIGTERM'),
    output: () => output,
  };
}
