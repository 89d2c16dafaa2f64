import {
  auditResult,
  deadLetterTarget,
  type OperatorAction,
  type OperatorChannel,
} from '../domain/operator-audit';
import { insertOperatorActions } from './operator-audit-sql';
import type { Database } from './prisma-client-factory';

/**
 * What "handled" means for a dead-lettered record: the operator replayed or skipped it, and
 * `dead_letter_actions` has a row for it, keyed by (DLQ topic, partition, offset). Kafka never
 * reuses an offset within a topic partition, so the key names one record for good, and the DLQ
 * topics themselves stay append-only (nothing is written back to Kafka to mark a record).
 *
 * - replayed: the record was re-published to its original topic (again, if replayed twice; the
 *   row then carries the last time). The row is written after Kafka acknowledged the replay, so
 *   a crash in between leaves the record unhandled and a second replay repeats it, which the
 *   consumers' dedupe on eventId makes harmless.
 * - skipped: the operator decided that the record needs no replay. A replay later overrides it.
 *
 * This table says only whether a record is handled (replay and skip select on it); who did what
 * and why, every time, is appended to `operator_audit` in the same transaction.
 *
 * Rows outlive the records (retention deletes old DLQ records, not these rows), so counts only
 * look at rows within a partition's current offsets. Deleting and re-creating a DLQ topic
 * restarts its offsets at 0: delete its rows then (`DELETE FROM dead_letter_actions WHERE
 * dlq_topic = '...'`).
 */
export type DeadLetterActionKind = 'replayed' | 'skipped';

export interface DeadLetterRef {
  partition: number;
  offset: string;
}

export interface HandledRecord {
  action: DeadLetterActionKind;
  at: Date;
}

export interface PartitionRange {
  partition: number;
  /** First offset still in the topic, and the next offset to be written (Kafka's low/high). */
  low: string;
  high: string;
}

/** Who acts, and why, for the audit rows of one command. */
export interface ActingOperator {
  actor: string;
  reason: string;
  /** Where the action came from; the DLQ tool's `cli` unless said. */
  via?: OperatorChannel;
  /** The role acted in; `operator` unless said. */
  role?: string;
}

const AUDITED_AS = { replayed: 'replay', skipped: 'skip' } as const;

function auditRows(
  topic: string,
  action: DeadLetterActionKind,
  refs: DeadLetterRef[],
  operator: ActingOperator,
  result: string,
): OperatorAction[] {
  return refs.map((ref) => ({
    actor: operator.actor,
    role: operator.role ?? 'operator',
    via: operator.via ?? 'cli',
    action: AUDITED_AS[action],
    target: deadLetterTarget(topic, ref.partition, ref.offset),
    reason: operator.reason,
    result,
  }));
}

export function handledKey(partition: number, offset: string): string {
  return `${partition}/${offset}`;
}

export function createDeadLetterActionsRepository(db: Database) {
  return {
    /** Every handled record of the topic, by `handledKey(partition, offset)`. */
    async handledIn(topic: string): Promise<Map<string, HandledRecord>> {
      const rows = await db.deadLetterAction.findMany({ where: { dlqTopic: topic } });
      return new Map(
        rows.map((row) => [
          handledKey(row.dlqPartition, row.dlqOffset.toString()),
          { action: row.action, at: row.actedAt },
        ]),
      );
    },

    /** Handled records among those still in the topic. */
    async countHandled(topic: string, ranges: PartitionRange[]): Promise<number> {
      const present = ranges.filter(({ low, high }) => BigInt(high) > BigInt(low));
      if (present.length === 0) return 0;
      return db.deadLetterAction.count({
        where: {
          dlqTopic: topic,
          OR: present.map(({ partition, low, high }) => ({
            dlqPartition: partition,
            dlqOffset: { gte: BigInt(low), lt: BigInt(high) },
          })),
        },
      });
    },

    /**
     * Marks records handled and appends one audit row per record, in one transaction. A replay
     * always wins (and refreshes the time); a skip never overwrites an earlier action.
     */
    async record(
      topic: string,
      action: DeadLetterActionKind,
      refs: DeadLetterRef[],
      operator: ActingOperator,
    ) {
      if (refs.length === 0) return;
      const partitions = refs.map((ref) => ref.partition);
      const offsets = refs.map((ref) => ref.offset);
      const mark =
        action === 'replayed'
          ? db.$executeRaw`
          INSERT INTO dead_letter_actions (dlq_topic, dlq_partition, dlq_offset, action)
          SELECT ${topic}, p, o::bigint, 'replayed'
          FROM unnest(${partitions}::int[], ${offsets}::text[]) AS t(p, o)
          ON CONFLICT (dlq_topic, dlq_partition, dlq_offset)
          DO UPDATE SET action = 'replayed', acted_at = CURRENT_TIMESTAMP`
          : db.$executeRaw`
          INSERT INTO dead_letter_actions (dlq_topic, dlq_partition, dlq_offset, action)
          SELECT ${topic}, p, o::bigint, 'skipped'
          FROM unnest(${partitions}::int[], ${offsets}::text[]) AS t(p, o)
          ON CONFLICT (dlq_topic, dlq_partition, dlq_offset) DO NOTHING`;
      const audit = insertOperatorActions(
        auditRows(topic, action, refs, operator, auditResult('done')),
      );
      await db.$transaction([mark, db.$executeRawUnsafe(audit.text, ...audit.values)]);
    },

    /** Records that an action on these records failed: audited, not marked handled. */
    async recordFailure(
      topic: string,
      action: DeadLetterActionKind,
      refs: DeadLetterRef[],
      operator: ActingOperator,
      why: string,
    ) {
      if (refs.length === 0) return;
      const rows = auditRows(topic, action, refs, operator, auditResult('failed', why));
      const audit = insertOperatorActions(rows);
      await db.$executeRawUnsafe(audit.text, ...audit.values);
    },
  };
}

export type DeadLetterActionsRepository = ReturnType<typeof createDeadLetterActionsRepository>;
