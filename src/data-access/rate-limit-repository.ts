import type { Logger } from '../shared/logger';
import { translateDatabaseErrors } from './database-errors';
import { poolOf, type Database } from './prisma-client-factory';

/** Rows of windows that ended this long ago are deleted. */
const PRUNE_AFTER_MS = 60 * 60_000;
/** Each instance prunes at most this often, off the request's path. */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * One row per key, holding its current fixed window and the hits in it. The window is cut from
 * Postgres's clock, so instances with drifting clocks still agree on it; a hit in a new window
 * starts it over at 1. One round trip: the upsert returns the count it leaves.
 */
const HIT = `
  INSERT INTO rate_limit_windows AS w (key, window_start, hits)
  VALUES ($1, to_timestamp(floor(extract(epoch FROM clock_timestamp()) * 1000 / $2) * $2 / 1000.0), 1)
  ON CONFLICT (key) DO UPDATE
    SET hits = CASE WHEN w.window_start = EXCLUDED.window_start THEN w.hits + 1 ELSE 1 END,
        window_start = EXCLUDED.window_start
  RETURNING hits, window_start`;

/**
 * The API's rate-limit counts, shared by every instance through the service's own database
 * (see entry-points/http/rate-limits.ts for the interface it fills).
 */
export function createRateLimitRepository(db: Database, logger: Logger) {
  const pool = poolOf(db);
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
      const { rows } = await pool.query<{ hits: number; window_start: Date }>(HIT, [key, windowMs]);
      const row = rows[0] as { hits: number; window_start: Date };
      return { hits: row.hits, resetTime: new Date(row.window_start.getTime() + windowMs) };
    },
    async undo(key: string) {
      await pool.query(
        'UPDATE rate_limit_windows SET hits = hits - 1 WHERE key = $1 AND hits > 0',
        [key],
      );
    },
    async reset(key: string) {
      await pool.query('DELETE FROM rate_limit_windows WHERE key = $1', [key]);
    },
  });
}
