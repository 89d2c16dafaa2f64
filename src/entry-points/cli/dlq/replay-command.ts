import { producerSettings } from '../../../messaging/kafka-client-factory';
import {
  foreignRecordAmong,
  replayMessages,
  stubsAmong,
} from '../../../messaging/dead-letter-replay';
import { DLQ_SUFFIX } from '../../../messaging/topics';
import type { ActingOperator } from '../../../data-access/dead-letter-actions-repository';
import { auditedOperator } from './acting-operator';
import { actorOf } from './cli-config';
import { CliError } from './cli-errors';
import type { DlqContext } from './cli-context';
import { originalTopicOf, stubReasonOf, type DeadLetterRecord } from './dead-letter-records';
import { recordsTable } from './record-views';
import { selectDeadLetters } from './selection';
import type { Selector } from './selectors';

export interface ReplayOptions {
  topic: string;
  selector: Selector;
  dryRun: boolean;
  includeHandled: boolean;
  reason?: string;
}

/** Records per produce request and per `dead_letter_actions` statement; progress is per chunk. */
export const REPLAY_CHUNK = 200;

/**
 * Re-publishes the selected records to their original topics with their original key, value and
 * headers (the `dlq-*` ones dropped), plus where and when they were replayed from. A chunk is
 * marked `replayed` only after Kafka acknowledged it (acks from all in-sync replicas): a failure
 * in between leaves it unmarked, and replaying it again is harmless because the consumers
 * deduplicate on eventId. The key decides the partition (murmur2, as the peers' producers), so
 * one order's records keep their order.
 */
export async function replayCommand(context: DlqContext, options: ReplayOptions) {
  const { output } = context;
  const { topic, handled, selected, what } = await selectDeadLetters(context, options);
  if (selected.length === 0) {
    output.out(`nothing to replay: no ${what}`);
    return;
  }
  refuseStubs(topic, selected);
  if (options.dryRun) {
    (await recordsTable(selected, handled, undefined)).forEach((line) => output.out(line));
    output.out(`dry run: would replay ${selected.length} ${what}; nothing was sent or marked`);
    return;
  }

  const perTopic = await replayRecords(context, topic, selected, {
    actor: actorOf(context.config),
    reason: options.reason ?? '',
  });
  const targets = [...perTopic].map(([target, count]) => `${count} to ${target}`).join(', ');
  output.out(`replayed ${selected.length} ${what} (${targets}); marked replayed`);
}

/**
 * Re-publishes records of one DLQ topic (as read by readDeadLetterTopic) and marks them
 * replayed, audited under `operator`: what replayCommand does once it has selected them, for
 * any caller. Refuses, before sending anything, stubs and records that name another topic as
 * their original. Returns how many records went to each original topic.
 */
export async function replayRecords(
  context: Pick<DlqContext, 'kafka' | 'config' | 'actions' | 'output'>,
  topic: string,
  records: DeadLetterRecord[],
  acting: ActingOperator,
): Promise<Map<string, number>> {
  const operator = auditedOperator(acting);
  refuseStubs(topic, records);
  refuseForeignTargets(topic, records);
  const actions = context.actions();
  const producer = context.kafka.producer(
    producerSettings(context.config.KAFKA_IDEMPOTENT_PRODUCER),
  );
  await producer.connect();
  const perTopic = new Map<string, number>();
  try {
    const replayedAt = new Date().toISOString();
    for (let start = 0; start < records.length; start += REPLAY_CHUNK) {
      const chunk = records.slice(start, start + REPLAY_CHUNK);
      try {
        await producer.sendBatch({ topicMessages: replayMessages(chunk, replayedAt), acks: -1 });
      } catch (error) {
        // The attempt is audited even though nothing is marked; the failure still ends the run.
        const why = error instanceof Error ? error.message : String(error);
        await actions.recordFailure(topic, 'replayed', chunk, operator, why).catch(() => undefined);
        throw error;
      }
      await actions.record(topic, 'replayed', chunk, operator);
      for (const record of chunk) {
        const target = originalTopicOf(record);
        perTopic.set(target, (perTopic.get(target) ?? 0) + 1);
      }
      if (records.length > REPLAY_CHUNK) {
        context.output.err(`replay: ${start + chunk.length}/${records.length} records replayed`);
      }
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return perTopic;
}

/**
 * A DLQ record goes back where it came from: the topic its DLQ is named after. A record whose
 * header names another topic was not written by the saga consumer; nothing is sent then.
 */
function refuseForeignTargets(dlqTopic: string, records: DeadLetterRecord[]) {
  const foreign = foreignRecordAmong(dlqTopic, records);
  if (foreign) {
    throw new CliError(
      `record ${foreign.partition}/${foreign.offset} of ${dlqTopic} names ${originalTopicOf(foreign)} ` +
        `as its original topic, not ${dlqTopic.slice(0, -DLQ_SUFFIX.length)}; nothing was replayed`,
    );
  }
}

/**
 * A stub (the topic refused the whole dead letter) holds only the first bytes of the value:
 * replaying it would send a broken record. Nothing is sent; the operator finds the original
 * by its coordinates and hash, or skips the stub.
 */
function refuseStubs(dlqTopic: string, records: DeadLetterRecord[]) {
  const stubs = stubsAmong(records);
  const [first] = stubs;
  if (!first) return;
  const at = (record: DeadLetterRecord) => `${record.partition}/${record.offset}`;
  throw new CliError(
    `${stubs.length} selected record(s) of ${dlqTopic} are stubs without the full value ` +
      `(${stubs.slice(0, 10).map(at).join(', ')}${stubs.length > 10 ? ', …' : ''}): ` +
      `a stub cannot be replayed (${stubReasonOf(first)}); see its original with show, ` +
      `skip it, or leave it out with a selector; nothing was replayed`,
  );
}
