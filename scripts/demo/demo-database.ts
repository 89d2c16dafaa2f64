import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrl, runDbMigrate } from '../../test/support/database';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface DemoDatabase {
  url: string;
  drop(): Promise<void>;
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database on the server of `adminUrl`, migrated with scripts/db-migrate.mjs deploy. */
export async function createDemoDatabase(adminUrl: string): Promise<DemoDatabase> {
  const name = `order_demo_${randomBytes(4).toString('hex')}`;
  try {
    await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Postgres at ${redact(adminUrl)} is not usable: ${reason || 'no answer'}`);
  }
  const demo: DemoDatabase = {
    url: databaseUrl(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
  const migrate = await runDbMigrate(['deploy'], { DATABASE_URL: demo.url });
  if (migrate.code !== 0) {
    await demo.drop().catch(() => undefined);
    const detail = migrate.stderr.trim().split('\n').at(-1) ?? '';
    throw new Error(`migrating the demo database failed: ${detail}`);
  }
  return demo;
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
