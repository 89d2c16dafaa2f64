import { poolOf, type Database } from './prisma-client-factory';
import type { JourneyOperatorAction } from '../domain/order-journey';

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** A target, or the start of one (`dlq:<topic>/`, `order:`). */
  target?: string;
  from?: Date;
  to?: Date;
  /** Rows with a smaller id only: the next page. */
  beforeId?: string;
  limit: number;
}

/** One stored row: the journey's operator action, with its id and time. */
export interface AuditRow extends JourneyOperatorAction {
  id: string;
  at: Date;
}

/** Reads `operator_audit`, newest first, a page at a time by id (the console's audit page). */
export function createOperatorAuditRepository(db: Database) {
  const pool = poolOf(db);
  return {
    async browse(filter: AuditFilter): Promise<AuditRow[]> {
      const { rows } = await pool.query<AuditRow>(
        `SELECT id::text AS id, at, actor, role, via, action, target, reason, result
         FROM operator_audit
         WHERE ($1::text IS NULL OR actor = $1)
           AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR target = $3 OR starts_with(target, $3))
           AND ($4::timestamptz IS NULL OR at >= $4)
           AND ($5::timestamptz IS NULL OR at < $5)
           AND ($6::bigint IS NULL OR id < $6)
         ORDER BY id DESC
         LIMIT $7`,
        [
          filter.actor ?? null,
          filter.action ?? null,
          filter.target ?? null,
          filter.from ?? null,
          filter.to ?? null,
          filter.beforeId ?? null,
          filter.limit,
        ],
      );
      return rows;
    },
  };
}
