import { coalescedCalls } from '../shared/coalesced-calls';
import type { Logger } from '../shared/logger';
import { translateDatabaseErrors } from './database-errors';
import { poolOf, type Database } from './prisma-client-factory';

/** Rows of windows that ended this long ago are deleted. */
const PRUNE_AFTER_MS = 60 * 60_000;
/** Each instance prunes at most this often, off the request's path. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * One row per key, holding its current fixed window and the hits in it. The window is cut from
 * Postgres's clock, so instances with drifting clocks still agree on it; hits in a new window
 * start it over. One round trip adds $3 hits and returns the count it leaves.
 */
const HIT = `
  INSERT INTO rate_limit_windows AS w (key, window_start, hits)
  VALUES ($1, to_timestamp(floor(extract(epoch FROM clock_timestamp()) * 1000 / $2) * $2 / 1000.0), $3)
  ON CONFLICT (key) DO UPDATE
    SET hits = CASE WHEN w.window_start = EXCLUDED.window_start THEN w.hits + $3 ELSE $3 END,
        window_start = EXCLUDED.window_start
  RETURNING hits, window_start`;

interface Hit {
  key: string;
  windowMs: number;
}

/**
 * The API's rate-limit counts, shared by every instance through the service's own database
 * (see entry-points/http/rate-limits.ts for the interface it fills).
 *
 * A key's hits and take-backs are coalesced (coalescedCalls): while one statement for a key runs,
 * the next ones wait and go as one, adding or taking back their count. One caller at full speed
 * would otherwise queue one upsert per request on its one row, each holding a pool connection
 * while it waits for the row's lock (a third of intake's throughput, docs/performance.md). The
 * count stays exact: every hit is in the database before its request goes on, and each gets its
 * own number in the batch.
 */
export function createRateLimitRepository(db: Database, logger: Logger) {
  const pool = poolOf(db);
  const hits = coalescedCalls(
    ({ key, windowMs }: Hit) => `${windowMs}:${key}`,
    async ({ key, windowMs }: Hit, count: number) => {
      const { rows } = await pool.query<{ hits: number; window_start: Date }>(HIT, [
        key,
        windowMs,
        count,
      ]);
      return rows[0] as { hits: number; window_start: Date };
    },
  );
  const undos = coalescedCalls(
    (key: string) => key,
    async (key: string, count: number) => {
      await pool.query(
        'UPDATE rate_limit_windows SET hits = greatest(hits - $2, 0) WHERE key = $1 AND hits > 0',
        [key, count],
      );
    },
  );
  let lastPruneAt = Date.now();
  const pruneNowAndThen = () => {
    if (Date.now() - lastPruneAt < PRUNE_EVERY_MS) return;
    lastPruneAt = Date.now();
    pool
      .query(`DELETE FROM rate_limit_windows WHERE window_start < now() - $1 * interval '1 ms'`, [
        PRUNE_AFTER_MS,
      ])
      .catch((error: unknown) =>
        logger.warn('pruning old rate-limit windows failed', { error: String(error) }),
      );
  };
  return translateDatabaseErrors({
    async hit(key: string, windowMs: number) {
      pruneNowAndThen();
      const { result: row, count, index } = await hits({ key, windowMs });
      // The batch's hits are numbered in the order they were made, ending at the row's count.
      return {
        hits: row.hits - count + index + 1,
        resetTime: new Date(row.window_start.getTime() + windowMs),
      };
    },
    async undo(key: string) {
      await undos(key);
    },
    async reset(key: string) {
      await pool.query('DELETE FROM rate_limit_windows WHERE key = $1', [key]);
    },
  });
}
