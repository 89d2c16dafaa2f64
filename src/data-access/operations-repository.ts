import type { OrderStatus } from '../domain/order-status';
import { poolOf, type Database } from './prisma-client-factory';

/** Rows counted at most: past this the backlog gauge saturates, and the count stays cheap. */
export const BACKLOG_COUNT_CAP = 100_000;

export interface OutboxBacklog {
  /** Unpublished rows, at most BACKLOG_COUNT_CAP. */
  unpublished: number;
  /** When the oldest unpublished row was written; null when there is none. */
  oldestCreatedAt: Date | null;
}

export interface InFlightOrders {
  /** Orders per status asked for; statuses absent have none. */
  byStatus: Map<OrderStatus, number>;
  /** The earliest step deadline of any order; null when none waits on a step. */
  earliestDeadline: Date | null;
}

/**
 * What the metrics sampler asks Postgres: bounded queries on indexes (outbox by published_at and
 * id, orders by status), never a scan of everything ever stored.
 */
export function createOperationsRepository(db: Database) {
  const pool = poolOf(db);
  return {
    async outboxBacklog(): Promise<OutboxBacklog> {
      const { rows } = await pool.query<{ unpublished: number; oldest: Date | null }>(
        `SELECT (SELECT count(*)::int FROM (
                   SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT $1) AS capped) AS unpublished,
                (SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1) AS oldest`,
        [BACKLOG_COUNT_CAP],
      );
      const row = rows[0];
      return { unpublished: row?.unpublished ?? 0, oldestCreatedAt: row?.oldest ?? null };
    },

    /**
     * Orders per status, for the given statuses only, and the earliest step deadline. Only an
     * order waiting on a step has a deadline, so that is the first entry of its index: both come
     * from index-only scans in one statement.
     */
    async inFlightOrders(statuses: readonly OrderStatus[]): Promise<InFlightOrders> {
      const { rows } = await pool.query<{
        status: OrderStatus;
        count: number;
        earliest: Date | null;
      }>(
        `SELECT status, count(*)::int AS count,
                (SELECT min(step_deadline_at) FROM orders) AS earliest
         FROM orders WHERE status = ANY($1::"OrderStatus"[]) GROUP BY status`,
        [statuses],
      );
      return {
        byStatus: new Map(rows.map((row) => [row.status, row.count])),
        earliestDeadline: rows[0]?.earliest ?? null,
      };
    },
  };
}

export type OperationsRepository = ReturnType<typeof createOperationsRepository>;
