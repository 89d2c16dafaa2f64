import type pg from 'pg';
import type { JourneyDeadLetter } from '../domain/order-journey';
import { INDEXED_FROM } from './dead-letter-index-repository';

/** More than this on one order is a loop worth seeing in the failures page instead. */
const JOURNEY_DEAD_LETTERS_LIMIT = 500;

/**
 * One order's dead letters from the console's dead-letter index (written as records are
 * dead-lettered, reconciled with the DLQ topics), with what an operator did with each, oldest
 * first; on the index's order_id. No payload: the journey never shows one.
 */
export async function deadLettersOfOrder(
  pool: pg.Pool,
  orderId: string,
): Promise<({ at: string } & JourneyDeadLetter)[]> {
  const { rows } = await pool.query<Omit<JourneyDeadLetter, 'at'> & { at: Date }>(
    `SELECT d.dead_lettered_at AS at, d.dlq_topic AS "dlqTopic", d.dlq_partition AS partition,
            d.dlq_offset::text AS offset, d.original_topic AS "sourceTopic",
            d.error_class AS "errorClass", d.error_message AS message,
            d.group_key AS "groupKey", a.action::text AS handled
     FROM ${INDEXED_FROM}
     WHERE d.order_id = $1
     ORDER BY d.dead_lettered_at, d.dlq_topic, d.dlq_partition, d.dlq_offset
     LIMIT $2`,
    [orderId.toLowerCase(), JOURNEY_DEAD_LETTERS_LIMIT],
  );
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}
