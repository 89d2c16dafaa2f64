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
  /** The admin port: /metrics and the detailed /ready. */
  adminUrl: string;
  /** The last `outputLimit` characters (default 20 kB) of its stdout and stderr. */
  output(): string;
  /** SIGKILL, resolving once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, resolving with the exit code once it has stopped. */
  terminate(): Promise<number | null>;
}

export interface SpawnOptions {
  outputLimit?: number;
  /** Run the compiled `dist/src/start.js` (after `npm run build`), as production does. */
  built?: boolean;
}

export async function spawnService(
  env: Record<string, string>,
  { outputLimit = 20_000, built = false }: SpawnOptions = {},
): Promise<ServiceProcess> {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const child = startProcess({ ...env, PORT: String(port), ADMIN_PORT: String(adminPort) }, built);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-outputLimit);
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
  const terminate = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  };
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  return { child, url, adminUrl, output: () => output, kill, terminate };
}

/**
 * Runs the service until it exits by itself (a start-up that must fail), killing it after
 * `timeoutMs`; resolves with its exit code and everything it wrote.
 */
export async function runServiceToExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = startProcess({ PORT: '0', ADMIN_PORT: '0', ...env });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

/**
 * node + tsx on src/start.ts (or node on the built dist/src/start.js) with PATH, the test
 * defaults and `env`, and nothing else.
 */
function startProcess(env: Record<string, string>, built = false): ChildProcess {
  const command = built
    ? [process.execPath, 'dist/src/start.js']
    : [process.execPath, '--import', 'tsx', 'src/start.ts'];
  const setpriv = findExecutable('setpriv');
  const [file, ...args] = setpriv ? [setpriv, '--pdeathsig', 'KILL', ...command] : command;
  return spawn(file as string, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LOG_LEVEL: 'info',
      // As testConfig: tests about authentication or the rate limit say so.
      NODE_ENV: 'test',
      AUTH_MODE: 'none',
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
      RATE_LIMIT_CANCELS_PER_MINUTE: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
