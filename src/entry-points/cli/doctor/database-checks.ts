import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { row, type CheckRow } from './check-row';

/** Tables the service reads and writes, and what it does to them (the grants file gives all four). */
const READ_WRITE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
/** A table this version does not know (a later migration's): it must at least read and add rows. */
const AT_LEAST = ['SELECT', 'INSERT'] as const;
const KNOWN_TABLES = [
  'orders',
  'order_items',
  'order_status_history',
  'order_effects',
  'outbox',
  'processed_events',
  'dead_letter_actions',
];

/** prisma/migrations beside this code, from src/ or from dist/src/. */
export function migrationsDirectory(from = __dirname): string | undefined {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export async function databaseChecks(url: string, connectTimeoutMs: number): Promise<CheckRow[]> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  try {
    await client.connect();
  } catch (error) {
    return [row('database', 'reachable', 'fail', `cannot connect: ${(error as Error).message}`)];
  }
  try {
    const { rows } = await client.query<{ who: string; version: string; superuser: string }>(
      "SELECT current_user AS who, current_setting('server_version') AS version, current_setting('is_superuser') AS superuser",
    );
    const me = rows[0];
    return [
      row('database', 'reachable', 'ok', `PostgreSQL ${me?.version} as ${me?.who}`),
      await migrationRow(client),
      ...(await grantRows(client, me?.who ?? '?', me?.superuser === 'on')),
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function migrationRow(client: pg.Client): Promise<CheckRow> {
  const dir = migrationsDirectory();
  if (!dir) return row('database', 'migrated to this version', 'warn', 'no prisma/migrations here');
  const expected = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const table = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS exists",
  );
  if (!table.rows[0]?.exists) {
    return row(
      'database',
      'migrated to this version',
      'fail',
      'not migrated: run npm run db:migrate',
    );
  }
  const { rows } = await client.query<{ name: string }>(
    'SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const applied = new Set(rows.map((r) => r.name));
  const pending = expected.filter((name) => !applied.has(name));
  const unknown = [...applied].filter((name) => !expected.includes(name)).sort();
  if (pending.length > 0) {
    return row(
      'database',
      'migrated to this version',
      'fail',
      `${pending.length} of ${expected.length} migrations not applied (${pending.join(', ')}): run npm run db:migrate`,
    );
  }
  if (unknown.length > 0) {
    return row(
      'database',
      'migrated to this version',
      'warn',
      `all ${expected.length} applied, and ${unknown.length} from a newer version (${unknown.join(', ')})`,
    );
  }
  return row(
    'database',
    'migrated to this version',
    'ok',
    `all ${expected.length} migrations applied`,
  );
}

async function grantRows(client: pg.Client, who: string, superuser: boolean): Promise<CheckRow[]> {
  const { rows } = await client.query<{ name: string; owner: string }>(
    "SELECT tablename AS name, tableowner AS owner FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1",
  );
  const missing: string[] = [];
  for (const { name } of rows) {
    const needed = KNOWN_TABLES.includes(name) ? READ_WRITE : AT_LEAST;
    for (const privilege of needed) {
      const granted = await client.query<{ ok: boolean }>(
        'SELECT has_table_privilege(current_user, $1, $2) AS ok',
        [`public.${name}`, privilege],
      );
      if (!granted.rows[0]?.ok) missing.push(`${privilege} on ${name}`);
    }
  }
  if (missing.length > 0) {
    return [
      row(
        'database',
        'role grants',
        'fail',
        `${who} lacks ${missing.join(', ')} (deploy/postgres/initdb/20-service-role-grants.sql)`,
      ),
    ];
  }
  const owns = rows.some((table) => table.owner === who);
  const broad = superuser ? 'a superuser' : owns ? 'the tables’ owner' : undefined;
  return [
    broad
      ? row(
          'database',
          'role grants',
          'warn',
          `${who} is ${broad}: it may alter or drop tables; run the service as a role that only reads and writes rows`,
        )
      : row(
          'database',
          'role grants',
          'ok',
          `${who} may read and write rows of ${rows.length} tables, and owns none`,
        ),
  ];
}
