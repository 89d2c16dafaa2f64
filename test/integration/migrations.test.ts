import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, runDbMigrate, type TestDatabase } from '../support/database';

const migrationsDir = path.resolve(__dirname, '../../prisma/migrations');
const adminUrl = (): string => process.env.TEST_PG_ADMIN_URL ?? '';

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const appliedMigrations = (url: string) =>
  query<MigrationRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');

/** A copy of prisma/migrations with one extra migration, for db-migrate to work on. */
async function migrationsWithExtra(name: string, sql: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  await cp(migrationsDir, dir, { recursive: true });
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, 'migration.sql'), sql);
  return dir;
}

describe('database migrations (scripts/db-migrate.mjs)', () => {
  const databases: TestDatabase[] = [];
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const database = async (options: { empty?: boolean } = {}): Promise<TestDatabase> => {
    const created = await createTestDatabase(options);
    databases.push(created);
    return created;
  };

  it('when the migrations are compared with schema.prisma, then there is no drift', async () => {
    const result = await runDbMigrate(['check'], { DATABASE_URL: adminUrl() });

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('agree');
  });

  it('when a migration adds something schema.prisma lacks, then check fails and prints the SQL that undoes it', async () => {
    const dir = await migrationsWithExtra(
      '99991231235959_drift_probe',
      'CREATE TABLE "drift_probe" ("id" INTEGER NOT NULL);\n',
    );
    tempDirs.push(dir);

    const result = await runDbMigrate(['check'], {
      DATABASE_URL: adminUrl(),
      DB_MIGRATE_MIGRATIONS: dir,
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('DROP TABLE "drift_probe";');
  });

  it('when deploy runs on an empty database, then it records every migration as prisma migrate deploy does', async () => {
    const { url } = await database({ empty: true });
    const names = await migrationNames();

    const result = await runDbMigrate(['deploy'], { DATABASE_URL: url });

    expect(result.code).toBe(0);
    for (const name of names) expect(result.stdout).toContain(`Applied migration ${name}`);
    const rows = await appliedMigrations(url);
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      const sql = await readFile(path.join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('when deploy runs again on a migrated database, then it applies nothing and changes no record', async () => {
    const { url } = await database();
    const before = await appliedMigrations(url);

    const result = await runDbMigrate(['deploy'], { DATABASE_URL: url });

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('Applied migration');
    expect(result.stdout).toContain('No pending migrations');
    expect(await appliedMigrations(url)).toEqual(before);
    expect(before.map((row) => row.migration_name)).toEqual(await migrationNames());
  });

  it('when a migration fails, then deploy exits 1 with a one-line error and keeps none of its changes', async () => {
    const { url } = await database();
    const dir = await migrationsWithExtra(
      '99991231235959_broken',
      'CREATE TABLE "half_done" ("id" INTEGER);\nALTER TABLE "no_such_table" ADD COLUMN "x" INTEGER;\n',
    );
    tempDirs.push(dir);

    const result = await runDbMigrate(['deploy'], {
      DATABASE_URL: url,
      DB_MIGRATE_MIGRATIONS: dir,
    });

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^db-migrate: migration 99991231235959_broken failed: .*no_such_table/),
    ]);
    const [table] = await query<{ oid: string | null }>(
      url,
      `SELECT to_regclass('half_done') AS oid`,
    );
    expect(table?.oid).toBeNull();
  });

  it('when DATABASE_URL is missing or unreachable, then deploy exits 1 with a one-line error', async () => {
    const missing = await runDbMigrate(['deploy'], { DATABASE_URL: '' });
    const unreachable = await runDbMigrate(['deploy'], {
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
    });

    expect(missing).toMatchObject({ code: 1, stderr: 'db-migrate: DATABASE_URL is not set\n' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^db-migrate: cannot connect to \S+127\.0\.0\.1:1\S*: .+\n$/,
    );
  });

  it('when DATABASE_URL carries its password as a query parameter, then no error line shows it', async () => {
    const result = await runDbMigrate(['deploy'], {
      DATABASE_URL:
        'postgresql://postgres:in-userinfo@127.0.0.1:1/none?password=in-query&sslpassword=key-pass',
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^db-migrate: cannot connect to /);
    for (const secret of ['in-userinfo', 'in-query', 'key-pass']) {
      expect(result.stderr).not.toContain(secret);
    }
  });
});
