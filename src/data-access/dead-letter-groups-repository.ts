import { auditResult, type OperatorAction } from '../domain/operator-audit';
import {
  INDEXED_COLUMNS,
  INDEXED_FROM,
  indexedDeadLetterOf,
  type IndexedDeadLetter,
} from './dead-letter-index-repository';
import { insertOperatorActions } from './operator-audit-sql';
import { poolOf, type Database } from './prisma-client-factory';

export interface DeadLetterGroup {
  groupKey: string;
  originalTopic: string;
  errorClass: string;
  errorPattern: string;
  /** An example of the group's messages as written, unmasked. */
  exampleMessage: string;
  total: number;
  pending: number;
  firstSeen: Date;
  lastSeen: Date;
  orders: number;
  /** A few of the orders it touches. */
  sampleOrders: string[];
  mark: Mark | null;
}

export interface Mark {
  markedBy: string;
  markedAt: Date;
  note: string;
}

export const groupMarkTarget = (groupKey: string) => `dlq-group:${groupKey}`;

const SAMPLE_ORDERS = 5;

const markOf = (row: Record<string, unknown>): Mark | null =>
  row.marked_by
    ? {
        markedBy: row.marked_by as string,
        markedAt: row.marked_at as Date,
        note: row.mark_note as string,
      }
    : null;

/**
 * What the console's failures page asks the index: groups with their figures, a group's
 * records, and "under investigation" marks. Each query reads `dead_letters` by an index or once
 * through (20,000 rows aggregate in tens of milliseconds).
 */
export function createDeadLetterGroupsRepository(db: Database) {
  const pool = poolOf(db);
  return {
    async groups(options: { pendingOnly: boolean; groupKey?: string }): Promise<DeadLetterGroup[]> {
      const { rows } = await pool.query(
        `WITH g AS (
           SELECT d.group_key, min(d.original_topic) AS original_topic,
                  min(d.error_class) AS error_class, min(d.error_pattern) AS error_pattern,
                  min(d.error_message) AS example_message, count(*)::int AS total,
                  (count(*) FILTER (WHERE a.dlq_topic IS NULL))::int AS pending,
                  min(d.dead_lettered_at) AS first_seen, max(d.dead_lettered_at) AS last_seen,
                  count(DISTINCT d.order_id)::int AS orders,
                  (array_agg(DISTINCT d.order_id) FILTER (WHERE d.order_id IS NOT NULL))[1:$1]
                    AS sample_orders
           FROM ${INDEXED_FROM}
           WHERE ($2::text IS NULL OR d.group_key = $2)
           GROUP BY d.group_key)
         SELECT g.*, m.marked_by, m.marked_at, m.note AS mark_note
         FROM g LEFT JOIN dead_letter_marks m ON m.target = 'dlq-group:' || g.group_key
         WHERE NOT $3::boolean OR g.pending > 0
         ORDER BY g.last_seen DESC`,
        [SAMPLE_ORDERS, options.groupKey ?? null, options.pendingOnly],
      );
      return rows.map((row) => ({
        groupKey: row.group_key,
        originalTopic: row.original_topic,
        errorClass: row.error_class,
        errorPattern: row.error_pattern,
        exampleMessage: row.example_message,
        total: row.total,
        pending: row.pending,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        orders: row.orders,
        sampleOrders: row.sample_orders ?? [],
        mark: markOf(row),
      }));
    },

    /** A page of the group's records, oldest first, with their marks (bytes left out). */
    async records(
      groupKey: string,
      page: { limit: number; offset: number },
    ): Promise<Array<IndexedDeadLetter & { mark: Mark | null }>> {
      const { rows } = await pool.query(
        `SELECT ${INDEXED_COLUMNS}, m.marked_by, m.marked_at, m.note AS mark_note
         FROM ${INDEXED_FROM}
         LEFT JOIN dead_letter_marks m
           ON m.target = 'dlq:' || d.dlq_topic || '/' || d.dlq_partition || '/' || d.dlq_offset
         WHERE d.group_key = $1
         ORDER BY d.dead_lettered_at, d.dlq_partition, d.dlq_offset
         LIMIT $2 OFFSET $3`,
        [groupKey, page.limit, page.offset],
      );
      return rows.map((row) => ({ ...indexedDeadLetterOf(row), mark: markOf(row) }));
    },

    async markOf(target: string): Promise<Mark | null> {
      const { rows } = await pool.query(
        `SELECT marked_by, marked_at, note AS mark_note FROM dead_letter_marks WHERE target = $1`,
        [target],
      );
      return rows[0] ? markOf(rows[0]) : null;
    },

    /**
     * Marks `target` under investigation (or refreshes who and since when) and audits it, in one
     * transaction; `unmark` removes the mark. Each returns whether anything changed.
     */
    async mark(target: string, action: Omit<OperatorAction, 'action' | 'result' | 'target'>) {
      return inTransaction(async (client) => {
        const result = await client.query(
          `INSERT INTO dead_letter_marks (target, marked_by, note) VALUES ($1, $2, $3)
           ON CONFLICT (target) DO UPDATE
             SET marked_by = EXCLUDED.marked_by, note = EXCLUDED.note, marked_at = now()`,
          [target, action.actor, action.reason],
        );
        await audit(client, { ...action, action: 'mark', target, result: auditResult('done') });
        return (result.rowCount ?? 0) > 0;
      });
    },

    async unmark(target: string, action: Omit<OperatorAction, 'action' | 'result' | 'target'>) {
      return inTransaction(async (client) => {
        const result = await client.query(`DELETE FROM dead_letter_marks WHERE target = $1`, [
          target,
        ]);
        const changed = (result.rowCount ?? 0) > 0;
        const outcome = changed ? auditResult('done') : auditResult('refused', 'not marked');
        await audit(client, { ...action, action: 'unmark', target, result: outcome });
        return changed;
      });
    },

    /** Dead letters not handled yet, per original topic (the overview's figure). */
    async pendingPerTopic(): Promise<Array<{ originalTopic: string; pending: number }>> {
      const { rows } = await pool.query(
        `SELECT d.original_topic, count(*)::int AS pending FROM ${INDEXED_FROM}
         WHERE a.dlq_topic IS NULL GROUP BY d.original_topic ORDER BY d.original_topic`,
      );
      return rows.map((row) => ({ originalTopic: row.original_topic, pending: row.pending }));
    },
  };

  async function inTransaction<T>(work: (client: import('pg').PoolClient) => Promise<T>) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

async function audit(client: import('pg').PoolClient, action: OperatorAction) {
  const insert = insertOperatorActions([action]);
  await client.query(insert.text, insert.values);
}

export type DeadLetterGroupsRepository = ReturnType<typeof createDeadLetterGroupsRepository>;
