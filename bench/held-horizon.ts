// Issue 23 item 8: the outbox relay draining while another session holds a transaction open (a
// slow report, a stuck client), against the same run without it. The held transaction has an
// xid, so Postgres keeps every row version newer than it: the relay's UPDATE ... published_at
// leaves a dead version per row that neither HOT pruning nor vacuum may remove, and the claim
// (WHERE published_at IS NULL ORDER BY id) walks their index entries.
import { Client, Pool } from 'pg';
import { RELAY_SLOTS } from '../src/data-access/outbox-repository';
import { relaySlotsOf } from '../test/support/outbox-fixtures';
import { waitFor } from '../test/support/wait-for';
import { ratioOf } from './floor';
import { insertBacklog } from './scenarios';
import type { BenchStack } from './stack';

export interface HorizonRun {
  held: boolean;
  windowSeconds: number;
  rowsPublished: number;
  /** Rows published per second over the whole window. */
  perSecond: number;
  /** The same over the window's last quarter (the bloat is largest there). */
  lastQuarterPerSecond: number;
  /** pg_total_relation_size('outbox'), MB: before, largest during the window, after it. */
  sizeBeforeMb: number;
  sizeDuringMb: number;
  /** After the holder commits and a plain VACUUM runs (as autovacuum would, later). */
  sizeAfterMb: number;
  /** Dead row versions at the window's end (pg_stat_user_tables, as the collector saw them). */
  deadTuplesDuring: number;
  /** The oldest transaction's age at the window's end: what the alert watches. */
  oldestXactSeconds: number;
}

/**
 * Back-to-back backlogs of `batchRows` rows, each timed from its commit to fully published, for
 * `windowSeconds`; with `held`, a second session opens a transaction (and takes an xid) first.
 */
export async function drainWithHorizon(
  stack: BenchStack,
  held: boolean,
  windowSeconds: number,
  batchRows: number,
): Promise<HorizonRun> {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  const holder = new Client({ connectionString: stack.databaseUrl });
  const mb = async () =>
    Number((await pool.query(`SELECT pg_total_relation_size('outbox') AS b`)).rows[0].b) / 2 ** 20;
  const drained = async () =>
    (await pool.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).rowCount === 0;
  const drainBatch = async (rows: number) => {
    await insertBacklog(pool, rows);
    await pool.query(`SELECT pg_notify('outbox_written', '')`);
    await waitFor(drained, { timeoutMs: 120_000, intervalMs: 10, message: 'outbox did not drain' });
  };
  try {
    await waitFor(async () => (await relaySlotsOf(stack.adminUrl)).length === RELAY_SLOTS, {
      timeoutMs: 30_000,
      message: 'the relay did not take its slots',
    });
    await drainBatch(1); // the relay's producer connects on its first send
    const sizeBeforeMb = await mb();
    if (held) {
      await holder.connect();
      await holder.query(`BEGIN; SELECT txid_current()`);
    }
    const t0 = performance.now();
    const deadline = t0 + windowSeconds * 1000;
    const lastQuarter = t0 + windowSeconds * 750;
    let rowsPublished = 0;
    let lastQuarterRows = 0;
    let lastQuarterStart: number | undefined;
    let sizeDuringMb = sizeBeforeMb;
    while (performance.now() < deadline) {
      const started = performance.now();
      await drainBatch(batchRows);
      rowsPublished += batchRows;
      if (started >= lastQuarter) {
        lastQuarterStart ??= started;
        lastQuarterRows += batchRows;
      }
      sizeDuringMb = Math.max(sizeDuringMb, await mb());
    }
    const elapsed = (performance.now() - t0) / 1000;
    const end = performance.now();
    const { rows } = await pool.query<{ dead: string; age: number | null }>(
      `SELECT (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'outbox') AS dead,
              (SELECT extract(epoch FROM now() - min(xact_start)) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND xact_start IS NOT NULL) AS age`,
    );
    if (held) await holder.query('COMMIT');
    await pool.query('VACUUM outbox');
    return {
      held,
      windowSeconds: elapsed,
      rowsPublished,
      perSecond: rowsPublished / elapsed,
      lastQuarterPerSecond:
        lastQuarterStart === undefined ? NaN : lastQuarterRows / ((end - lastQuarterStart) / 1000),
      sizeBeforeMb,
      sizeDuringMb,
      sizeAfterMb: await mb(),
      deadTuplesDuring: Number(rows[0]?.dead ?? 0),
      oldestXactSeconds: Number(rows[0]?.age ?? 0),
    };
  } finally {
    await holder.end().catch(() => undefined);
    await pool.end();
  }
}

export function horizonRows(plain: HorizonRun, held: HorizonRun, batchRows: number) {
  const rate = (run: HorizonRun) =>
    `${Math.round(run.perSecond)} rows/s (last quarter ${Math.round(run.lastQuarterPerSecond)}/s)`;
  const perThousand = (run: HorizonRun) =>
    ((run.sizeDuringMb - run.sizeBeforeMb) * 1024 * 1000) / run.rowsPublished;
  const size = (run: HorizonRun) =>
    `${Math.round(perThousand(run))} KB per 1,000 rows published; outbox ${run.sizeBeforeMb.toFixed(1)} → ${run.sizeDuringMb.toFixed(1)} MB during, ${run.sizeAfterMb.toFixed(1)} MB after commit + VACUUM; ${run.deadTuplesDuring} dead rows`;
  const window = `${Math.round(held.windowSeconds)} s of back-to-back ${batchRows}-row backlogs`;
  return [
    {
      measure: `outbox drain while another session holds a transaction open, ${window}`,
      result: rate(held),
      baseline: `same run, no open transaction: ${rate(plain)}`,
      ratio: `${ratioOf(held.perSecond, plain.perSecond).toFixed(2)}x`,
    },
    {
      measure: 'outbox size under that held horizon',
      result: `${size(held)}; oldest xact ${Math.round(held.oldestXactSeconds)} s`,
      baseline: size(plain),
      ratio: `${ratioOf(perThousand(held), perThousand(plain)).toFixed(2)}x growth per row`,
    },
  ];
}
