/**
 * Runs a command with DATABASE_URL pointing at a Postgres server: the caller's DATABASE_URL when
 * set, else an embedded PostgreSQL 15 started for the command and stopped after it
 * (test/support/embedded-postgres.ts). For development commands that need a scratch server,
 * such as writing a new migration:
 *   tsx scripts/with-postgres.ts node scripts/db-migrate.mjs new add_thing
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startEmbeddedPostgres } from '../test/support/embedded-postgres';

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) throw new Error('usage: with-postgres.ts <command> [args...]');
  const embedded = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres();
  try {
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL || embedded?.adminUrl },
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    return code ?? 1;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
