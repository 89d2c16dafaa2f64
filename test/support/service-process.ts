/**
 * The service as a separate process, through its real entry point `src/start.ts` (node + tsx),
 * for tests that kill it. Through `setpriv --pdeathsig KILL` where there is one (it execs node,
 * so the pid is node's), so the kernel ends the child if the test worker dies without cleanup.
 * The child gets only PATH plus the environment given: nothing leaks in from the test run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { findExecutable, freePort } from './processes';
import { waitFor } from './wait-for';

const ROOT = path.resolve(__dirname, '../..');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** The last 20 kB of its stdout and stderr. */
  output(): string;
  /** SIGKILL, resolving once it is gone. */
  kill(): Promise<void>;
}

export async function spawnService(env: Record<string, string>): Promise<ServiceProcess> {
  const command = [process.execPath, '--import', 'tsx', 'src/start.ts'];
  const setpriv = findExecutable('setpriv');
  const [file, ...args] = setpriv ? [setpriv, '--pdeathsig', 'KILL', ...command] : command;
  const port = await freePort();
  const child = spawn(file as string, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error('exited early');
        return (await fetch(`${url}/health`)).ok;
      },
      { timeoutMs: 40_000, message: 'the child service answering /health' },
    );
  } catch (error) {
    await kill();
    throw new Error(`${(error as Error).message}\nservice output (tail):\n${output.slice(-4_000)}`);
  }
  return { child, url, output: () => output, kill };
}
