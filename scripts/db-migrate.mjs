// Offline stand-in for `prisma migrate deploy`, `prisma migrate dev --create-only` and a drift
// check. The Prisma CLI needs a native schema engine that cannot be downloaded everywhere; this
// runs the same engine compiled to WebAssembly (@prisma/schema-engine-wasm) over
// @prisma/adapter-pg.
// Migrations stay in Prisma's format and `_prisma_migrations` is written by the engine's own code,
// so the ordinary CLI keeps working wherever the native engine is available.
//
// node --experimental-wasm-modules scripts/db-migrate.mjs <command>
//   deploy      apply pending migrations from prisma/migrations to DATABASE_URL
//   new <name>  write prisma/migrations/<timestamp>_<name>/migration.sql for schema.prisma changes
//   check       exit 1 and print the missing SQL if the migrations don't produce schema.prisma
//
// Every command needs DATABASE_URL. `new` and `check` only create and drop a scratch database on
// its server; `npm run db:migration:new` starts an embedded Postgres for that when it is unset.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Overridable so that tests can run the tool on modified copies.
const schemaPath = process.env.DB_MIGRATE_SCHEMA ?? path.join(root, 'prisma/schema.prisma');
const migrationsDir = process.env.DB_MIGRATE_MIGRATIONS ?? path.join(root, 'prisma/migrations');
const LOCKFILE = 'migration_lock.toml';
const NO_FILTERS = { externalTables: [], externalEnums: [] };

/** An expected failure: reported as one line, without a stack trace. */
class UserError extends Error {}

// Postgres' "char" type (oid 18, e.g. pg_constraint.contype) appears in the engine's introspection
// queries, and adapter-pg 7.10 rejects it ("Column type 'char' could not be deserialized").
// pg hands such values over as strings already, so we report them as text (oid 25).
class CharAsTextPool extends pg.Pool {
  async query(...args) {
    const result = await super.query(...args);
    for (const { fields = [] } of [result].flat()) {
      for (const field of fields) if (field.dataTypeID === 18) field.dataTypeID = 25;
    }
    return result;
  }
}

/** Driver adapter factory for the engine. The returned `close()` ends the connection pool. */
function adapterFactory(url) {
  const pool = new CharAsTextPool({ connectionString: url });
  const prismaPg = new PrismaPg(pool);
  const factory = {
    provider: prismaPg.provider,
    adapterName: prismaPg.adapterName,
    async connect() {
      const adapter = await prismaPg.connect();
      // adapter-pg splits scripts at every ';' and runs the pieces one by one on any pooled
      // connection. The native engine sends a migration as one simple query, which Postgres runs
      // atomically and which keeps ';' inside strings and function bodies intact: do the same.
      adapter.executeScript = async (script) => {
        try {
          await pool.query(script);
        } catch (error) {
          adapter.onError(error);
        }
      };
      return adapter;
    },
    // Only diffs from a migrations directory need one; we diff from a scratch database instead.
    connectToShadowDb() {
      throw new Error('db-migrate does not provide shadow databases');
    },
  };
  return { factory: bindMigrationAwareSqlAdapterFactory(factory), close: () => pool.end() };
}

async function loadEngine() {
  try {
    return (await import('@prisma/schema-engine-wasm')).SchemaEngine;
  } catch (error) {
    if (error.code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new UserError(
        'run with `node --experimental-wasm-modules` (the engine imports a .wasm file)',
      );
    }
    if (error.code === 'ERR_MODULE_NOT_FOUND') {
      throw new UserError('@prisma/schema-engine-wasm is missing (pruned as a devDependency?)');
    }
    throw error;
  }
}

/** Runs `fn(engine)` with a schema engine connected to `url`, and disposes of both afterwards. */
async function withEngine(url, schema, fn) {
  const SchemaEngine = await loadEngine();
  const { factory, close } = adapterFactory(url);
  const log = process.env.DB_MIGRATE_DEBUG ? (line) => process.stderr.write(line) : () => {};
  try {
    const engine = await SchemaEngine.new(
      { datamodels: [['schema.prisma', schema]] },
      log,
      factory,
    );
    try {
      return await fn(engine);
    } finally {
      engine.free();
    }
  } finally {
    await close();
  }
}

/** The migrations directory in the shape the engine expects (as the Prisma CLI builds it). */
async function migrationsList() {
  const lockContent = await readFile(path.join(migrationsDir, LOCKFILE), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort(byName)) {
    const file = path.join(migrationsDir, entry.name, 'migration.sql');
    const content = await readFile(file, 'utf8').then(
      (value) => ({ tag: 'ok', value }),
      (error) => ({ tag: 'error', value: error.message }),
    );
    migrationDirectories.push({
      path: entry.name,
      migrationFile: { path: 'migration.sql', content },
    });
  }
  return {
    baseDir: migrationsDir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

const byName = (a, b) => a.name.localeCompare(b.name);

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * The URL as it may be printed: its password and every password-like query parameter (libpq
 * takes `?password=`, `sslpassword=`, ...) replaced, as src/shared/redaction.ts does for the
 * service (this script runs before any build, so it cannot import that; the migrations test
 * holds the two to the same URLs).
 */
const SECRET_PARAMETER = /password|secret|token|sslkey/i;
function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  for (const name of [...u.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(name)) u.searchParams.set(name, '***');
  }
  return u.toString();
}

/** Fails with a one-line message unless `url` is a URL that accepts connections. */
async function ensureReachable(url) {
  if (!URL.canParse(url)) throw new UserError('DATABASE_URL is not a valid URL');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new UserError(`cannot connect to ${redact(url)}: ${error.message || error.code}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs `fn(url)` against a new, empty database on the server of `serverUrl`, then drops it. */
async function withScratchDatabase(serverUrl, fn) {
  await ensureReachable(serverUrl);
  const name = `db_migrate_scratch_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`).catch((error) => {
      throw new UserError(`cannot create a scratch database: ${error.message}`);
    });
    try {
      return await fn(withDatabase(serverUrl, name));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

/** The engine's errors carry a Rust span trace after the message; keep the message only. */
function engineMessage(error) {
  const message = String(error?.message ?? error);
  return message.split(/\n\s+0: /)[0].trim();
}

async function applyMigrations(engine) {
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: await migrationsList(),
      filters: NO_FILTERS,
    });
    return appliedMigrationNames;
  } catch (error) {
    // The failing migration's name is only in the span trace.
    const failed = /Applying migration\s+with migration_name="([^"]+)"/.exec(error?.message);
    const message = engineMessage(error)
      .replace(/^external connector error\s+/, '')
      .replace(/\s*\n\s*/g, ' ');
    throw new UserError(failed ? `migration ${failed[1]} failed: ${message}` : message);
  }
}

/**
 * The SQL that takes a database with all migrations applied to what schema.prisma describes
 * (empty when they agree). The migrations run on a scratch database exactly as `deploy` runs them.
 */
async function pendingSql(schema) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new UserError('DATABASE_URL is not set (the server for a scratch database)');
  return withScratchDatabase(serverUrl, (url) =>
    withEngine(url, schema, async (engine) => {
      await applyMigrations(engine);
      const files = [{ path: 'schema.prisma', content: schema }];
      const { exitCode, stdout } = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: root },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: true,
        filters: NO_FILTERS,
      });
      return exitCode === 2 ? stdout : '';
    }),
  );
}

async function deploy(schema) {
  const url = process.env.DATABASE_URL;
  if (!url) throw new UserError('DATABASE_URL is not set');
  await ensureReachable(url);
  const applied = await withEngine(url, schema, applyMigrations);
  for (const name of applied) console.log(`Applied migration ${name}`);
  const target = redact(url);
  console.log(
    applied.length
      ? `${applied.length} migration(s) applied to ${target}.`
      : `No pending migrations: ${target} is up to date.`,
  );
}

async function create(schema, rawName) {
  // Like the Prisma CLI's slugified names: lowercase, '_' between words.
  const name = (rawName ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!name) throw new UserError('usage: db-migrate.mjs new <name>');
  const sql = await pendingSql(schema);
  if (!sql) {
    console.log('No difference between prisma/migrations and schema.prisma: nothing written.');
    return;
  }
  const timestamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14); // UTC YYYYMMDDHHMMSS
  const dir = path.join(migrationsDir, `${timestamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'migration.sql'), sql);
  const lockfile = path.join(migrationsDir, LOCKFILE);
  const lock = [
    '# Please do not edit this file manually',
    '# It should be added in your version-control system (e.g., Git)',
    'provider = "postgresql"',
    '',
  ].join('\n');
  await writeFile(lockfile, lock, { flag: 'wx' }).catch((error) => {
    if (error.code !== 'EEXIST') throw error;
  });
  console.log(`Created ${path.relative(root, path.join(dir, 'migration.sql'))}`);
}

async function check(schema) {
  const sql = await pendingSql(schema);
  if (sql) {
    console.log(
      'Drift: prisma/migrations does not produce what schema.prisma describes. Missing SQL:\n',
    );
    console.log(sql);
    process.exitCode = 1;
  } else {
    console.log('prisma/migrations and schema.prisma agree.');
  }
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  const commands = { deploy, new: create, check };
  if (!Object.hasOwn(commands, command ?? '')) {
    throw new UserError('usage: db-migrate.mjs deploy | new <name> | check');
  }
  const schema = await readFile(schemaPath, 'utf8');
  await commands[command](schema, ...args);
}

main()
  .catch((error) => {
    console.error(
      error instanceof UserError ? `db-migrate: ${error.message}` : (error?.stack ?? error),
    );
    process.exitCode = 1;
  })
  // The wasm engine leaves a 10 s timer running after its last query; don't wait for it.
  .finally(() => process.exit());
