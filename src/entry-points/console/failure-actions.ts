import type { KafkaMessage, TopicMessages } from 'kafkajs';
import type { ConsoleLookupsRepository } from '../../data-access/console-lookups-repository';
import type { DeadLetterActionsRepository } from '../../data-access/dead-letter-actions-repository';
import type { IndexedDeadLetter } from '../../data-access/dead-letter-index-repository';
import type { InboundEvent } from '../../domain/inbound-events';
import { recordOfEntry } from '../../messaging/dead-letter-records';
import { foreignRecordAmong, replayMessages, stubsAmong } from '../../messaging/dead-letter-replay';
import type { InboundRecordDecoder } from '../../messaging/inbound-record-decoder';
import { CONSUMED_TOPICS, type ConsumedTopic } from '../../messaging/topics';
import { AppError, errorMessage } from '../../shared/app-error';
import type { ConsoleUser } from './console-auth';
import type { ProgressReport } from './progress-stream';

/** Records per produce request and per `dead_letter_actions` statement, as the DLQ tool. */
export const CONSOLE_REPLAY_CHUNK = 200;

/** What a replay of one dead letter would do now, as the dry run reports it. */
export type DryRunVerdict =
  /** Decodes, the order exists, the event was never processed: the saga takes it. */
  | 'would-apply'
  /** The event id was processed already: the consumer ignores it as a duplicate. */
  | 'duplicate'
  /** No order has this id: the consumer would not find it (and retry, then dead-letter). */
  | 'order-unknown'
  /** The bytes do not decode against today's reader schema: it would be dead-lettered again. */
  | 'does-not-decode'
  /** A stub, or a value too large for the index: the console cannot replay it. */
  | 'not-replayable'
  | 'already-handled';

export interface DryRunLine {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  orderId: string | null;
  eventId: string | null;
  verdict: DryRunVerdict;
  decodes: boolean;
  decodeError?: string;
  orderStatus: string | null;
}

/** The console refuses an action as asked (409): nothing was changed. */
export class ConsoleActionRefusedError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('console-action-refused', message, { details });
  }
}

export interface FailureActionsDependencies {
  /** Where replays are sent: the dead-letter producer (acks from all in-sync replicas). */
  producer: { send(topicMessages: TopicMessages[]): Promise<unknown> };
  decoder: InboundRecordDecoder;
  topicPrefix: string;
  actions: DeadLetterActionsRepository;
  lookups: ConsoleLookupsRepository;
}

const replayableValue = (entry: IndexedDeadLetter) => !entry.stub && entry.value !== null;

/**
 * The console's replay, skip and dry run, on dead letters read from the index. Replay and skip
 * use the DLQ tool's own pieces: the messages it sends (messaging/dead-letter-replay.ts) and the
 * repository that marks records handled and audits, in one transaction, after Kafka acknowledged.
 */
export function createFailureActions(dependencies: FailureActionsDependencies) {
  const { producer, decoder, topicPrefix, actions, lookups } = dependencies;

  async function decode(
    entry: IndexedDeadLetter,
  ): Promise<{ event?: InboundEvent; error?: string }> {
    const logical = entry.originalTopic.slice(topicPrefix.length) as ConsumedTopic;
    if (!entry.originalTopic.startsWith(topicPrefix) || !CONSUMED_TOPICS.includes(logical)) {
      return { error: `${entry.originalTopic} is not a topic this service consumes` };
    }
    if (entry.value === null) return { error: 'the value is not held by the index' };
    const record = recordOfEntry(entry);
    try {
      const message = { ...record, attributes: 0, size: 0 } as unknown as KafkaMessage;
      return { event: await decoder.decode(logical, message) };
    } catch (error) {
      return { error: errorMessage(error) };
    }
  }

  async function dryRun(entries: IndexedDeadLetter[]): Promise<DryRunLine[]> {
    const decoded = await Promise.all(entries.map(decode));
    const orderIdOf = (i: number) => decoded[i]?.event?.orderId ?? entries[i]?.orderId ?? null;
    const eventIdOf = (i: number) => decoded[i]?.event?.eventId ?? entries[i]?.eventId ?? null;
    const ids = entries.map((_, i) => orderIdOf(i)).filter((id): id is string => id !== null);
    const events = entries.map((_, i) => eventIdOf(i)).filter((id): id is string => id !== null);
    const [statuses, processed] = await Promise.all([
      lookups.orderStatuses(ids),
      lookups.processedOutcomes(events),
    ]);
    return entries.map((entry, i) => {
      const { error } = decoded[i] ?? {};
      const orderId = orderIdOf(i);
      const eventId = eventIdOf(i);
      const orderStatus = orderId ? (statuses.get(orderId) ?? null) : null;
      const verdict: DryRunVerdict = entry.handled
        ? 'already-handled'
        : !replayableValue(entry)
          ? 'not-replayable'
          : error !== undefined
            ? 'does-not-decode'
            : eventId !== null && processed.has(eventId)
              ? 'duplicate'
              : orderStatus === null
                ? 'order-unknown'
                : 'would-apply';
      return {
        dlqTopic: entry.dlqTopic,
        dlqPartition: entry.dlqPartition,
        dlqOffset: entry.dlqOffset,
        orderId,
        eventId,
        verdict,
        decodes: error === undefined,
        ...(error !== undefined && { decodeError: error }),
        orderStatus,
      };
    });
  }

  /** Refuses the whole run when any record cannot go back as it came: nothing is sent then. */
  function refuseUnreplayable(entries: IndexedDeadLetter[]) {
    const records = entries.map(recordOfEntry);
    const blocked = entries.filter((entry) => !replayableValue(entry));
    const stubs = stubsAmong(records);
    if (blocked.length > 0 || stubs.length > 0) {
      throw new ConsoleActionRefusedError(
        `${blocked.length} of the records are stubs or larger than the index keeps: the console ` +
          'cannot replay them (use npm run dlq, or skip them); nothing was replayed',
        { records: blocked.map((entry) => `${entry.dlqPartition}/${entry.dlqOffset}`) },
      );
    }
    for (const topic of new Set(entries.map((entry) => entry.dlqTopic))) {
      const foreign = foreignRecordAmong(
        topic,
        records.filter((record) => record.topic === topic),
      );
      if (foreign) {
        throw new ConsoleActionRefusedError(
          `record ${foreign.partition}/${foreign.offset} of ${topic} names another original ` +
            'topic than its dead-letter topic; nothing was replayed',
        );
      }
    }
  }

  const operatorOf = (user: ConsoleUser, reason: string) => ({
    actor: user.subject,
    reason,
    via: 'console' as const,
    role: user.role ?? 'operator',
  });

  /** Chunks of one DLQ topic each, in the order given (the replay order). */
  function chunksOf(entries: IndexedDeadLetter[]): IndexedDeadLetter[][] {
    const chunks: IndexedDeadLetter[][] = [];
    for (const entry of entries) {
      const last = chunks.at(-1);
      if (last && last.length < CONSOLE_REPLAY_CHUNK && last[0]?.dlqTopic === entry.dlqTopic) {
        last.push(entry);
      } else {
        chunks.push([entry]);
      }
    }
    return chunks;
  }

  const refsOf = (chunk: IndexedDeadLetter[]) =>
    chunk.map((entry) => ({ partition: entry.dlqPartition, offset: entry.dlqOffset }));

  return {
    dryRun,
    decode,

    /**
     * Sends each record back to its original topic, in the order given, a chunk after the one
     * before was acknowledged; each chunk is marked replayed and audited only after its
     * acknowledgement. A failure audits the chunk as failed and stops the run.
     */
    async replay(
      entries: IndexedDeadLetter[],
      user: ConsoleUser,
      reason: string,
      report: ProgressReport = () => undefined,
    ) {
      refuseUnreplayable(entries);
      const operator = operatorOf(user, reason);
      const replayedAt = new Date().toISOString();
      let replayed = 0;
      for (const chunk of chunksOf(entries)) {
        const topic = chunk[0]?.dlqTopic ?? '';
        try {
          await producer.send(replayMessages(chunk.map(recordOfEntry), replayedAt));
        } catch (error) {
          await actions
            .recordFailure(topic, 'replayed', refsOf(chunk), operator, errorMessage(error))
            .catch(() => undefined);
          throw new AppError('kafka-unavailable', `replay stopped after ${replayed} records`, {
            retriable: true,
            cause: error,
          });
        }
        await actions.record(topic, 'replayed', refsOf(chunk), operator);
        replayed += chunk.length;
        report(replayed, entries.length);
      }
      return { replayed };
    },

    async skip(
      entries: IndexedDeadLetter[],
      user: ConsoleUser,
      reason: string,
      report: ProgressReport = () => undefined,
    ) {
      const operator = operatorOf(user, reason);
      let skipped = 0;
      for (const chunk of chunksOf(entries)) {
        await actions.record(chunk[0]?.dlqTopic ?? '', 'skipped', refsOf(chunk), operator);
        skipped += chunk.length;
        report(skipped, entries.length);
      }
      return { skipped: entries.length };
    },
  };
}

export type FailureActions = ReturnType<typeof createFailureActions>;
