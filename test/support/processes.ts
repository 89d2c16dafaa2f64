/** Small process helpers the broker launchers share. */
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';

/** The executable's path on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * SIGSTOP takes effect asynchronously: one thread receives it and then stops the others, so on a
 * busy machine a process can still answer a request sent right after kill(). Wait (synchronously,
 * at most 2 s) until every thread of `pid` reports state T in /proc.
 */
export function waitUntilStopped(pid: number): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline) {
    let threads: string[];
    try {
      threads = readdirSync(`/proc/${pid}/task`);
    } catch {
      return; // no /proc (not Linux) or process gone: nothing to wait for
    }
    const allStopped = threads.every((tid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        return stat.charAt(stat.lastIndexOf(')') + 2) === 'T';
      } catch {
        return true; // thread exited
      }
    });
    if (allStopped) return;
    Atomics.wait(sleeper, 0, 0, 1); // sleep 1 ms without spinning a core the process needs
  }
  throw new Error(`process ${pid} did not stop within 2 s of SIGSTOP`);
}

/** A free TCP port on loopback (the OS picks; a race with another binder is very unlikely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
