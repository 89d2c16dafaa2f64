import { TERMINAL_STATUSES } from '../domain/saga-transitions';
import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status';
import { poolOf, type Database } from './prisma-client-factory';

/** Stuck orders counted at most (the figure then reads "10,000+"), and listed at most. */
export const STUCK_COUNT_CAP = 10_000;
const STUCK_LISTED = 50;

const OPEN_STATUSES = ORDER_STATUSES.filter((status) => !TERMINAL_STATUSES.includes(status));

export interface StuckOrder {
  id: string;
  status: OrderStatus;
  createdAt: Date;
  stepDeadlineAt: Date | null;
  /** `deadline`: past its step's deadline; `age`: open longer than the console's setting. */
  why: 'deadline' | 'age';
}

/**
 * The overview's figures from Postgres, each on an index of `orders` (status and created_at,
 * created_at, step_deadline_at) or the outbox's (published_at, id).
 */
export function createConsoleOverviewRepository(db: Database) {
  const pool = poolOf(db);
  return {
    async ordersByStatus(): Promise<Record<string, number>> {
      const { rows } = await pool.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM orders GROUP BY status`,
      );
      return Object.fromEntries(rows.map((row) => [row.status, row.n]));
    },

    /** Orders created per hour and status over the last 24 hours. */
    async ordersPerHour(): Promise<Array<{ hour: Date; status: string; orders: number }>> {
      const { rows } = await pool.query<{ hour: Date; status: string; orders: number }>(
        `SELECT date_trunc('hour', created_at) AS hour, status, count(*)::int AS orders
         FROM orders WHERE created_at > now() - interval '24 hours'
         GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      return rows;
    },

    /**
     * Open orders past their step deadline, or older than `stuckAfterSeconds`: how many (up to
     * STUCK_COUNT_CAP) and a page of them, oldest first.
     */
    async stuck(
      stuckAfterSeconds: number,
      { offset = 0, limit = STUCK_LISTED }: { offset?: number; limit?: number } = {},
    ): Promise<{ count: number; oldest: StuckOrder[] }> {
      const where = `status = ANY($1::"OrderStatus"[])
        AND (step_deadline_at < now() OR created_at < now() - make_interval(secs => $2))`;
      const [count, list] = await Promise.all([
        pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT 1 FROM orders WHERE ${where} LIMIT $3) AS capped`,
          [OPEN_STATUSES, stuckAfterSeconds, STUCK_COUNT_CAP],
        ),
        pool.query(
          `SELECT id::text AS id, status, created_at, step_deadline_at,
                  CASE WHEN step_deadline_at < now() THEN 'deadline' ELSE 'age' END AS why
           FROM orders WHERE ${where} ORDER BY created_at, id LIMIT $3 OFFSET $4`,
          [OPEN_STATUSES, stuckAfterSeconds, limit, offset],
        ),
      ]);
      return {
        count: count.rows[0]?.n ?? 0,
        oldest: list.rows.map((row) => ({
          id: row.id,
          status: row.status,
          createdAt: row.created_at,
          stepDeadlineAt: row.step_deadline_at,
          why: row.why,
        })),
      };
    },

    async oldestUnpublished(): Promise<{
      id: string;
      orderId: string;
      topic: string;
      createdAt: Date;
    } | null> {
      const { rows } = await pool.query(
        `SELECT id::text AS id, order_id::text AS order_id, topic, created_at FROM outbox
         WHERE published_at IS NULL ORDER BY id LIMIT 1`,
      );
      const row = rows[0];
      return row
        ? { id: row.id, orderId: row.order_id, topic: row.topic, createdAt: row.created_at }
        : null;
    },
  };
}
