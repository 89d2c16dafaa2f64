// Issue 23: where intake's CPU goes. Starts a fresh bench stack whose service runs under
// `node --cpu-prof` (or, with `--floor`, bench/floor-intake.ts on a fresh database of its own),
// drives the bench's intake load at it (same body, token and connections), stops it so the
// profile is written, and prints its CPU per order, the whole machine's CPU per order by process
// (Postgres, the broker, the load generator too) and bench/cpu-profile-summary.ts's summary.
// `--born-published` (an experiment, never production): outbox rows are written already
// published, so the relay finds nothing to claim, mark or send; the difference is what the
// relay's whole share costs intake.
// It also counts the database's transactions per order (pg_stat_database), which no noise moves.
// `tsx bench/profile-intake.ts [--floor | --born-published] [seconds=10] [connections=64] [outDir=/tmp/intake-profile]`
import { mkdirSync } from 'node:fs';
import { Client } from 'pg';
import { createMigratedDatabase } from '../test/support/database';
import { startLocalServices, type LocalServices } from '../test/support/local-services';
import { printNewestProfile } from './cpu-profile-summary';
import { startFloor } from './floor';
import { postOrders } from './intake';
import { cpuSecondsByGroup, machineCpuLines, processCpuTimes, processMemoryMb } from './measure';
import { SERVICE_POOL_SIZE } from './intake-floor';
import { startBenchStack } from './stack';

interface Target {
  url: string;
  databaseUrl: string;
  headers: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

/** A trigger that writes every outbox row as published already: the relay has nothing to do. */
const BORN_PUBLISHED = `
  CREATE FUNCTION bench_born_published() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.published_at := now(); RETURN NEW; END $$;
  CREATE TRIGGER bench_born_published BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION bench_born_published();`;

async function serviceTarget(
  services: LocalServices,
  nodeArgs: string[],
  bornPublished: boolean,
): Promise<Target> {
  const stack = await startBenchStack(services, {}, 1, nodeArgs);
  if (bornPublished) {
    const client = new Client({ connectionString: stack.databaseUrl });
    await client.connect();
    await client.query(BORN_PUBLISHED).finally(() => client.end());
  }
  const url = `${stack.serviceUrl}/api/v1/orders`;
  return {
    url,
    databaseUrl: stack.databaseUrl,
    headers: stack.authorization,
    pid: stack.pid,
    stop: () => stack.stop(),
  };
}

async function floorTarget(services: LocalServices, nodeArgs: string[]): Promise<Target> {
  const database = await createMigratedDatabase(services.postgres.adminUrl, 'order_floor');
  const env = { DATABASE_URL: database.url, POOL_SIZE: String(SERVICE_POOL_SIZE) };
  const floor = await startFloor('floor-intake.ts', env, nodeArgs);
  return {
    url: `${floor.url}/api/v1/orders`,
    databaseUrl: database.url,
    headers: {},
    pid: floor.pid,
    stop: async () => {
      await floor.stop();
      await database.drop();
    },
  };
}

/**
 * Transactions committed or rolled back in the target's database, once every session has
 * reported them: a busy backend reports at most once a second and an idle one within 10 s.
 */
async function settledTransactions(databaseUrl: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT xact_commit + xact_rollback AS n FROM pg_stat_database
       WHERE datname = current_database()`,
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const floor = args.includes('--floor');
  const bornPublished = args.includes('--born-published');
  // The floor writes to a database of its own with no relay: there is nothing to publish.
  if (floor && bornPublished) throw new Error('--born-published is for the service, not --floor');
  const [seconds = '10', connections = '64', outDir = '/tmp/intake-profile'] = args.filter(
    (arg) => !arg.startsWith('--'),
  );
  mkdirSync(outDir, { recursive: true });
  const services = await startLocalServices();
  try {
    const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${outDir}`];
    const target = floor
      ? await floorTarget(services, nodeArgs)
      : await serviceTarget(services, nodeArgs, bornPublished);
    try {
      const load = (s: number) => postOrders(target.url, target.headers, Number(connections), s);
      await load(2); // warm-up, as the bench's first round is
      const label = floor
        ? 'floor'
        : bornPublished
          ? 'service, outbox rows born published'
          : 'service';
      const transactionsBefore = await settledTransactions(target.databaseUrl);
      const named = { [label]: target.pid, 'load generator': process.pid };
      const machineBefore = cpuSecondsByGroup(named);
      const before = processCpuTimes(target.pid);
      const result = await load(Number(seconds));
      const after = processCpuTimes(target.pid);
      const machineAfter = cpuSecondsByGroup(named);
      // CPU per order holds better than orders/s on a machine others share; user and system
      // apart, as the kernel's share (socket writes) moves with what else runs.
      const perOrder = (seconds: number) => ((seconds * 1000) / result.count).toFixed(3);
      process.stdout.write(
        `${label}: ${result.perSecond.toFixed(0)} orders/s, ` +
          `p99 ${result.p99Ms} ms, non-2xx ${result.non2xx}, CPU per order (relay included): ` +
          `user ${perOrder(after.user - before.user)} ms, ` +
          `system ${perOrder(after.system - before.system)} ms, ` +
          `peak RSS ${processMemoryMb(target.pid).peakRssMb.toFixed(0)} MB\n`,
      );
      // Where the machine's cores went meanwhile: Postgres and the broker too, not only Node.
      const lines = machineCpuLines(machineBefore, machineAfter, result.count, 'order');
      process.stdout.write(`${lines.join('\n')}\n`);
      // Counted once the relay has published these orders too (its claims, marks, notifications).
      const transactions = (await settledTransactions(target.databaseUrl)) - transactionsBefore;
      process.stdout.write(
        `Postgres transactions per order, until published: ${(transactions / result.count).toFixed(2)}\n`,
      );
    } finally {
      await target.stop();
    }
    printNewestProfile(outDir);
  } finally {
    await services.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
