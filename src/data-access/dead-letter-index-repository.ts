import type { GroupedEntry } from '../domain/dead-letter-index';
import { poolOf, type Database } from './prisma-client-factory';

/** Who wrote an index row: the service as it dead-lettered, or the reconciler from Kafka. */
export type IndexedBy = 'writer' | 'reconciler';

/** An indexed dead letter, with whether an operator handled it. */
export interface IndexedDeadLetter extends GroupedEntry {
  handled: { action: 'replayed' | 'skipped'; at: Date } | null;
}

const COLUMNS = [
  'dlq_topic',
  'dlq_partition',
  'dlq_offset',
  'original_topic',
  'original_partition',
  'original_offset',
  'order_id',
  'event_id',
  'error_class',
  'error_message',
  'error_pattern',
  'group_key',
  'dead_lettered_at',
  'indexed_by',
  'stub',
  'key',
  'value',
  'value_bytes',
  'headers',
] as const;

/** Rows per INSERT: 19 parameters each, well under Postgres' 65,535. */
const INSERT_CHUNK = 500;

const valuesOf = (entry: GroupedEntry, indexedBy: IndexedBy): unknown[] => [
  entry.dlqTopic,
  entry.dlqPartition,
  entry.dlqOffset,
  entry.originalTopic,
  entry.originalPartition,
  entry.originalOffset,
  entry.orderId,
  entry.eventId,
  entry.errorClass,
  entry.errorMessage,
  entry.errorPattern,
  entry.groupKey,
  entry.deadLetteredAt,
  indexedBy,
  entry.stub,
  entry.key,
  entry.value,
  entry.valueBytes,
  JSON.stringify(entry.headers),
];

/** The row columns every reader selects, with the handled state from dead_letter_actions. */
export const INDEXED_COLUMNS = `d.dlq_topic, d.dlq_partition, d.dlq_offset::text AS dlq_offset,
  d.original_topic, d.original_partition, d.original_offset::text AS original_offset, d.order_id,
  d.event_id, d.error_class, d.error_message, d.error_pattern, d.group_key, d.dead_lettered_at,
  d.stub, d.key, d.value, d.value_bytes, d.headers, a.action AS handled_action,
  a.acted_at AS handled_at`;

export const INDEXED_FROM = `dead_letters d LEFT JOIN dead_letter_actions a
  ON a.dlq_topic = d.dlq_topic AND a.dlq_partition = d.dlq_partition AND a.dlq_offset = d.dlq_offset`;

type Row = Record<string, unknown>;

export function indexedDeadLetterOf(row: Row): IndexedDeadLetter {
  return {
    dlqTopic: row.dlq_topic as string,
    dlqPartition: row.dlq_partition as number,
    dlqOffset: row.dlq_offset as string,
    originalTopic: row.original_topic as string,
    originalPartition: row.original_partition as number | null,
    originalOffset: row.original_offset as string | null,
    orderId: row.order_id as string | null,
    eventId: row.event_id as string | null,
    errorClass: row.error_class as string,
    errorMessage: row.error_message as string,
    errorPattern: row.error_pattern as string,
    groupKey: row.group_key as string,
    deadLetteredAt: row.dead_lettered_at as Date,
    stub: row.stub as boolean,
    key: row.key as Buffer | null,
    value: row.value as Buffer | null,
    valueBytes: row.value_bytes as number,
    headers: row.headers as Record<string, string[]>,
    handled: row.handled_action
      ? { action: row.handled_action as 'replayed' | 'skipped', at: row.handled_at as Date }
      : null,
  };
}

export interface DeadLetterCoordinates {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
}

/**
 * The console's index of dead letters (`dead_letters`). Adding is idempotent on the record's
 * place in its DLQ topic, so the writer and the reconciler may both add the same record.
 */
export function createDeadLetterIndexRepository(db: Database) {
  const pool = poolOf(db);
  return {
    /** Adds the entries not indexed yet; returns how many were new. */
    async add(entries: readonly GroupedEntry[], indexedBy: IndexedBy): Promise<number> {
      let added = 0;
      for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
        const chunk = entries.slice(start, start + INSERT_CHUNK);
        const values: unknown[] = [];
        const tuples = chunk.map((entry) => {
          const row = valuesOf(entry, indexedBy);
          const first = values.length;
          values.push(...row);
          return `(${row.map((_, i) => `$${first + i + 1}`).join(', ')})`;
        });
        const result = await pool.query(
          `INSERT INTO dead_letters (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
           ON CONFLICT (dlq_topic, dlq_partition, dlq_offset) DO NOTHING`,
          values,
        );
        added += result.rowCount ?? 0;
      }
      return added;
    },

    /** Indexed rows of the topic per partition within [low, high): the reconciler's check. */
    async indexedCounts(
      dlqTopic: string,
      ranges: readonly { partition: number; low: string; high: string }[],
    ): Promise<Map<number, number>> {
      const { rows } = await pool.query<{ partition: number; indexed: number }>(
        `SELECT r.p AS partition, count(d.dlq_offset)::int AS indexed
         FROM unnest($2::int[], $3::bigint[], $4::bigint[]) AS r(p, low, high)
         LEFT JOIN dead_letters d ON d.dlq_topic = $1 AND d.dlq_partition = r.p
           AND d.dlq_offset >= r.low AND d.dlq_offset < r.high
         GROUP BY r.p`,
        [
          dlqTopic,
          ranges.map((range) => range.partition),
          ranges.map((range) => range.low),
          ranges.map((range) => range.high),
        ],
      );
      return new Map(rows.map((row) => [row.partition, row.indexed]));
    },

    async find(at: DeadLetterCoordinates): Promise<IndexedDeadLetter | undefined> {
      const { rows } = await pool.query(
        `SELECT ${INDEXED_COLUMNS} FROM ${INDEXED_FROM}
         WHERE d.dlq_topic = $1 AND d.dlq_partition = $2 AND d.dlq_offset = $3`,
        [at.dlqTopic, at.dlqPartition, at.dlqOffset],
      );
      return rows[0] ? indexedDeadLetterOf(rows[0]) : undefined;
    },

    /**
     * The group's records not yet handled, at most `limit`, in the order a replay must send
     * them: each original partition in its original offset order, so one order's records (one
     * key, one partition) go back in the order they first arrived.
     */
    async pendingOfGroup(groupKey: string, limit: number): Promise<IndexedDeadLetter[]> {
      const { rows } = await pool.query(
        `SELECT ${INDEXED_COLUMNS} FROM ${INDEXED_FROM}
         WHERE d.group_key = $1 AND a.dlq_topic IS NULL
         ORDER BY d.original_topic, d.original_partition, d.original_offset, d.dlq_topic,
                  d.dlq_partition, d.dlq_offset
         LIMIT $2`,
        [groupKey, limit],
      );
      return rows.map(indexedDeadLetterOf);
    },

    /** Unhandled dead letters of the same order dead-lettered before this one. */
    async earlierPendingOfOrder(entry: IndexedDeadLetter): Promise<number> {
      if (entry.orderId === null) return 0;
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${INDEXED_FROM}
         WHERE d.order_id = $1 AND a.dlq_topic IS NULL AND d.dead_lettered_at < $2`,
        [entry.orderId, entry.deadLetteredAt],
      );
      return rows[0]?.n ?? 0;
    },
  };
}

export type DeadLetterIndexRepository = ReturnType<typeof createDeadLetterIndexRepository>;
