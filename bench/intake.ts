// Intake under load, and what Postgres allows for the same work: the bench's headline ratio.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { findExecutable } from '../test/support/processes';
import { percentiles, timedLoop, type LoadResult } from './measure';
import type { BenchStack } from './stack';

export const ORDER_BODY = JSON.stringify({
  customerId: 'bench-customer',
  currency: 'EUR',
  items: [
    { productId: 'sku-1', productName: 'Espresso beans 1kg', quantity: 2, unitPrice: 1899 },
    { productId: 'sku-2', productName: 'Milk jug', quantity: 1, unitPrice: 1250 },
  ],
});

/**
 * POST /orders from `connections` keep-alive connections for `seconds`, with autocannon (each
 * request a new order: no Idempotency-Key). Non-2xx answers are counted, not hidden.
 */
export function intakeRound(
  stack: BenchStack,
  connections: number,
  seconds: number,
): Promise<LoadResult & { non2xx: number }> {
  return postOrders(`${stack.serviceUrl}/api/v1/orders`, stack.authorization, connections, seconds);
}

/** The same load against any endpoint that takes intake's body (the floor, bench/floor-intake). */
export async function postOrders(
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<LoadResult & { non2xx: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: ORDER_BODY,
    connections,
    duration: seconds,
  });
  return {
    count: result.requests.total,
    seconds: result.duration,
    perSecond: result['2xx'] / result.duration,
    p50Ms: result.latency.p50,
    p95Ms: NaN, // autocannon reports p90 and p97.5, no p95: not relabelled as one
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
  };
}

/**
 * The statement intake runs (order, items, history and outbox row in one statement of
 * data-modifying CTEs), with server-generated ids. Its outbox row is written as published, so
 * the relay leaves the baseline's rows alone; the NOTIFY trigger still fires, as for intake.
 */
const INTAKE_STATEMENT = `
WITH ids AS (SELECT gen_random_uuid() AS id, gen_random_uuid() AS event_id),
new_order AS (
  INSERT INTO orders (id, customer_id, status, currency, total_amount, idempotency_key,
                      request_hash, step_deadline_at, updated_at)
  SELECT id, 'bench-customer', 'PENDING', 'EUR', 5048, NULL, NULL, now() + interval '15 minutes', now()
  FROM ids RETURNING id, created_at
), new_items AS (
  INSERT INTO order_items (order_id, position, product_id, product_name, unit_price, quantity, line_total)
  SELECT new_order.id, i.position, i."productId", i."productName", i."unitPrice", i.quantity, i."lineTotal"
  FROM new_order, jsonb_to_recordset('[{"position":0,"productId":"sku-1","productName":"Espresso beans 1kg","unitPrice":1899,"quantity":2,"lineTotal":3798},{"position":1,"productId":"sku-2","productName":"Milk jug","unitPrice":1250,"quantity":1,"lineTotal":1250}]'::jsonb)
    AS i(position int, "productId" text, "productName" text, "unitPrice" bigint, quantity int, "lineTotal" bigint)
), first_history AS (
  INSERT INTO order_status_history (order_id, to_status, reason)
  SELECT id, 'PENDING', 'order placed' FROM new_order
), announcement AS (
  INSERT INTO outbox (event_id, order_id, topic, key, payload, published_at)
  SELECT event_id, id, 'process_payment_request', id::text,
         jsonb_build_object('eventId', event_id, 'orderId', id, 'customerId', 'bench-customer',
                            'amount', 5048, 'currency', 'EUR', 'occurredAt', 0), now()
  FROM ids
)
SELECT created_at FROM new_order`;

export interface Baseline extends LoadResult {
  /** Which tool produced it. */
  tool: 'pgbench' | 'pg loop';
}

/**
 * What Postgres allows for intake's work: its statement from `clients` connections for
 * `seconds`, with pgbench (Debian's postgresql package) when there is one, else a loop over a
 * plain `pg` pool in this process.
 */
export async function intakeBaseline(
  stack: BenchStack,
  clients: number,
  seconds: number,
): Promise<Baseline> {
  const pgbench = findPgbench();
  return pgbench
    ? { tool: 'pgbench', ...(await runPgbench(pgbench, stack.databaseUrl, clients, seconds)) }
    : { tool: 'pg loop', ...(await pgLoop(stack.databaseUrl, clients, seconds)) };
}

/** pgbench on PATH, or in Debian's postgresql package (not on PATH there). */
function findPgbench(): string | undefined {
  const onPath = findExecutable('pgbench');
  if (onPath || !existsSync('/usr/lib/postgresql')) return onPath;
  return readdirSync('/usr/lib/postgresql')
    .sort()
    .reverse()
    .map((version) => `/usr/lib/postgresql/${version}/bin/pgbench`)
    .find((file) => existsSync(file));
}

async function runPgbench(
  pgbench: string,
  url: string,
  clients: number,
  seconds: number,
): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pgbench-'));
  try {
    const script = path.join(dir, 'intake.sql');
    writeFileSync(script, `${INTAKE_STATEMENT.replace(/\n\s*/g, ' ').trim()};\n`);
    const args = ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', script];
    args.push('--log', `--log-prefix=${path.join(dir, 'log')}`, url);
    const { stdout } = await promisify(execFile)(pgbench, args, { cwd: dir, maxBuffer: 1 << 24 });
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
    // Per-transaction log lines: client_id transaction_no time(us) script_no epoch epoch_us
    const latencies = readdirSync(dir)
      .filter((file) => file.startsWith('log'))
      .flatMap((file) => readFileSync(path.join(dir, file), 'utf8').trim().split('\n'))
      .map((line) => Number(line.split(' ')[2]) / 1000);
    return { count: latencies.length, seconds, perSecond: tps, ...percentiles(latencies) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pgLoop(url: string, clients: number, seconds: number): Promise<LoadResult> {
  const pool = new Pool({ connectionString: url, max: clients });
  try {
    return await timedLoop(seconds, clients, async () => {
      await pool.query(INTAKE_STATEMENT);
    });
  } finally {
    await pool.end();
  }
}
