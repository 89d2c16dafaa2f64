import type pg from 'pg';
import type { JourneyDeadLetter } from '../domain/order-journey';

/**
 * JOIN POINT for the dead-letter index (console-core adds the table, written when a record is
 * dead-lettered and reconciled with the DLQ topics). The journey asks it for one order's dead
 * letters; until the index exists this answers none, and the journey says so (`missing`).
 */
export async function deadLettersOfOrder(
  _pool: pg.Pool,
  _orderId: string,
): Promise<({ at: string } & JourneyDeadLetter)[] | undefined> {
  return undefined;
}
