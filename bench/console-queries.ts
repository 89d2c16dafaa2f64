// The console's queries at volume: 200,000 orders, 20,000 dead letters (half handled) and
// 20,000 audit rows in a scratch database of DATABASE_URL's server, each query timed 30 times
// (p50, p95). `npx tsx bench/console-queries.ts`; run it under the heavy-test lock.
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { createDatabase } from '../src/data-access/prisma-client-factory';
import { createConsoleOverviewRepository } from '../src/data-access/console-overview-repository';
import { createDeadLetterGroupsRepository } from '../src/data-access/dead-letter-groups-repository';
import { createDeadLetterIndexRepository } from '../src/data-access/dead-letter-index-repository';
import { createOperatorAuditRepository } from '../src/data-access/operator-audit-repository';
import { createLogger } from '../src/shared/logger';

async function main() {
  const base = new URL(process.env.DATABASE_URL!);
  const name = `console_perf_${Date.now()}`;
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  try {
    execFileSync(
      'node',
      [
        '--experimental-wasm-modules',
        '--no-warnings=ExperimentalWarning',
        'scripts/db-migrate.mjs',
        'deploy',
      ],
      {
        cwd: process.cwd(),
        env: { ...process.env, DATABASE_URL: url.toString() },
        stdio: 'ignore',
      },
    );
    const sql = new Client({ connectionString: url.toString() });
    await sql.connect();
    await sql.query(`INSERT INTO orders (id, customer_id, status, currency, total_amount, step_deadline_at, created_at)
      SELECT gen_random_uuid(), 'c' || (i % 5000), (ARRAY['PENDING','INVENTORY_RESERVING','COMPENSATING','CONFIRMED','FAILED','CANCELLED'])[1 + (i % 6)]::"OrderStatus",
             'EUR', 1000, CASE WHEN i % 6 < 3 THEN now() + interval '1 hour' END, now() - (i % 172800) * interval '1 second'
      FROM generate_series(1, 200000) AS i`);
    await sql.query(`INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, original_topic, original_partition, original_offset,
        order_id, event_id, error_class, error_message, error_pattern, group_key, dead_lettered_at, indexed_by, key, value, value_bytes, headers)
      SELECT 'p.payment_successful_dlq', i % 3, i, 'p.payment_successful', i % 3, i * 2, gen_random_uuid()::text, gen_random_uuid()::text,
             'unknown-order', 'Order ' || i || ' is not known', 'Order <n> is not known', lpad(to_hex(i % 200), 16, '0'),
             now() - (i % 86400) * interval '1 second', 'writer', '\\x00'::bytea, decode(repeat('ab', 200), 'hex'), 200, '{"event-id":["eA=="]}'
      FROM generate_series(1, 20000) AS i`);
    await sql.query(`INSERT INTO dead_letter_actions (dlq_topic, dlq_partition, dlq_offset, action)
      SELECT 'p.payment_successful_dlq', i % 3, i, 'skipped' FROM generate_series(1, 20000, 2) AS i`);
    await sql.query(`INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
      SELECT 'ops-' || (i % 20), 'operator', 'console', 'skip', 'dlq:p.payment_successful_dlq/' || (i % 3) || '/' || i, 'bulk', 'done'
      FROM generate_series(1, 20000) AS i`);
    await sql.query('ANALYZE');
    await sql.end();
    const db = createDatabase({
      url: url.toString(),
      poolSize: 3,
      connectTimeoutMs: 5000,
      logger: createLogger('silent'),
    });
    const overview = createConsoleOverviewRepository(db);
    const groups = createDeadLetterGroupsRepository(db);
    const index = createDeadLetterIndexRepository(db);
    const audit = createOperatorAuditRepository(db);
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['overview: orders by status', () => overview.ordersByStatus()],
      ['overview: orders per hour', () => overview.ordersPerHour()],
      ['overview: stuck sagas', () => overview.stuck(3600)],
      ['overview: oldest unpublished', () => overview.oldestUnpublished()],
      ['overview: dead letters pending per topic', () => groups.pendingPerTopic()],
      ['failures: groups (pending)', () => groups.groups({ pendingOnly: true })],
      [
        'failures: one group',
        () => groups.groups({ pendingOnly: false, groupKey: '0000000000000007' }),
      ],
      [
        'failures: group records page',
        () => groups.records('0000000000000007', { limit: 100, offset: 0 }),
      ],
      ['failures: bulk selection (500)', () => index.pendingOfGroup('0000000000000007', 501)],
      [
        'failures: one record',
        () =>
          index.find({ dlqTopic: 'p.payment_successful_dlq', dlqPartition: 1, dlqOffset: '10000' }),
      ],
      ['audit: newest page', () => audit.browse({ limit: 100 })],
      ['audit: by actor', () => audit.browse({ actor: 'ops-7', limit: 100 })],
      [
        'audit: by target prefix',
        () => audit.browse({ target: 'dlq:p.payment_successful_dlq/1/', limit: 100 }),
      ],
    ];
    for (const [label, run] of cases) {
      for (let i = 0; i < 3; i += 1) await run();
      const times: number[] = [];
      for (let i = 0; i < 30; i += 1) {
        const start = process.hrtime.bigint();
        await run();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      times.sort((a, b) => a - b);
      console.log(
        `${label.padEnd(45)} p50 ${times[14]!.toFixed(1).padStart(6)} ms  p95 ${times[28]!.toFixed(1).padStart(6)} ms`,
      );
    }
    await db.$disconnect();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
void main();
