import type { IHeaders, KafkaMessage, Message, RecordMetadata } from 'kafkajs';
import type { DeadLetterEntry } from '../domain/dead-letter-index';
import { isRecordTooLarge, type GuardedProducer } from './guarded-producer';
import { DLQ_HEADERS } from './dead-letter-headers';
import { DEAD_LETTER_LIMITS, stubDeadLetter, wholeDeadLetter } from './dead-letter-record';
import { deadLetterEntryOf } from './dead-letter-records';
import { deadLetterTopic } from './topics';
import { errorClassOf } from './failure-policy';
import { errorMessage, someCause } from '../shared/app-error';
import { redactErrorText } from '../shared/redaction';
import { truncateText } from '../shared/truncate-text';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';

export interface FailedRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
  error: unknown;
  attempts: number;
  firstFailedAt: Date;
  /** From the decoded record, when it decoded; else the log falls back to key and headers. */
  eventId?: string;
  orderId?: string;
}

export interface DeadLetterPublisher {
  /** Resolves once the DLQ write is acknowledged; rejects (so nothing is committed) otherwise. */
  publish(record: FailedRecord, consumerGroup: string): Promise<void>;
}

/** UTF-16 units kept of the error message in the `dlq-error-message` header. */
export const MAX_ERROR_MESSAGE = 1_000;

/** The broker's error type for a refused record (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE). */
function refusalOf(error: unknown): string {
  let type = 'record too large';
  someCause(error, (cause) => {
    const found = (cause as { type?: string }).type;
    if (found) type = found;
    return found !== undefined;
  });
  return type;
}

/**
 * Writes a failed record to `<topic>_dlq`: the original key and value bytes untouched, its
 * headers up to a cap, and headers saying where it came from and why it failed (the error text
 * redacted: a registry's or driver's error can quote credentials). `producer` is the dead-letter
 * producer, with a breaker of its own (messaging-factory.ts): a Kafka outage stops
 * dead-lettering instead of losing records, without counting against the relay.
 *
 * A dead letter the topic refuses as too large (over its `max.message.bytes`) would be retried
 * for ever and hold up its partition: it is written as a stub instead (dead-letter-record.ts),
 * logged and counted (`dead_letter_stubs_total`). A stub too large still is written without
 * any value bytes; only a topic that refuses even that is retried, as a configuration to fix.
 */
export function createDeadLetterPublisher(
  producer: GuardedProducer,
  {
    serviceVersion,
    metrics,
    logger,
    onWritten,
  }: {
    serviceVersion: string;
    metrics: Metrics;
    logger: Logger;
    /**
     * Called with the dead letter as written, once Kafka acknowledged it (the console's index).
     * Awaited, but its failure is only logged: the record is safe in its DLQ topic, and the
     * console's reconciler indexes what this missed.
     */
    onWritten?: (entry: DeadLetterEntry) => Promise<void>;
  },
): DeadLetterPublisher {
  const send = async (topic: string, message: Message) => {
    // Where Kafka put it, for the index; a producer that does not say leaves it unindexed.
    const metadata: RecordMetadata[] | undefined = await producer.send([
      { topic: deadLetterTopic(topic), messages: [message] },
    ]);
    return { message, written: metadata?.[0] };
  };
  const announce = async (sent: { message: Message; written: RecordMetadata | undefined }) => {
    const { message, written } = sent;
    const offset = written?.baseOffset ?? written?.offset;
    if (!onWritten || !written || offset === undefined) return;
    const bytes = (value: Message['value'] | Message['key']) =>
      value === null || value === undefined ? null : Buffer.from(value);
    const entry = deadLetterEntryOf({
      topic: written.topicName,
      partition: written.partition,
      offset,
      timestamp: String(Date.now()),
      key: bytes(message.key),
      value: bytes(message.value),
      headers: (message.headers ?? {}) as IHeaders,
    });
    await onWritten(entry).catch((error: unknown) =>
      logger.warn('dead letter not indexed; the console reconciles it later', {
        topic: written.topicName,
        error: errorMessage(error),
      }),
    );
  };

  return {
    async publish(record, consumerGroup) {
      const { topic, partition, message, error, attempts, firstFailedAt } = record;
      const errorClass = errorClassOf(error);
      const safeError = redactErrorText(errorMessage(error));
      const dlqHeaders = {
        [DLQ_HEADERS.originalTopic]: topic,
        [DLQ_HEADERS.originalPartition]: String(partition),
        [DLQ_HEADERS.originalOffset]: message.offset,
        [DLQ_HEADERS.originalTimestamp]: message.timestamp,
        [DLQ_HEADERS.consumerGroup]: consumerGroup,
        [DLQ_HEADERS.errorClass]: errorClass,
        [DLQ_HEADERS.errorMessage]: truncateText(safeError, MAX_ERROR_MESSAGE),
        [DLQ_HEADERS.attempts]: String(attempts),
        [DLQ_HEADERS.firstFailureAt]: firstFailedAt.toISOString(),
        [DLQ_HEADERS.lastFailureAt]: new Date().toISOString(),
        [DLQ_HEADERS.serviceVersion]: serviceVersion,
      };
      const { key, value, headers } = message;
      let stub: string | undefined;
      let sent: Awaited<ReturnType<typeof send>>;
      try {
        sent = await send(topic, wholeDeadLetter(key, value, headers, dlqHeaders));
      } catch (sendError) {
        if (!isRecordTooLarge(sendError)) throw sendError;
        stub = `the dead-letter topic refused the whole dead letter (${refusalOf(sendError)})`;
        sent = await writeStub(topic, { key, value, headers, dlqHeaders, reason: stub });
        metrics.deadLetterStubs.inc({ topic, reason: refusalOf(sendError) });
      }
      await announce(sent);
      metrics.deadLettered.inc({ topic, error_class: errorClass });
      logger.error(stub ? 'record dead-lettered as a stub' : 'record dead-lettered', {
        topic,
        partition,
        offset: message.offset,
        errorClass,
        error: safeError,
        orderId: record.orderId ?? message.key?.toString(),
        eventId: record.eventId ?? message.headers?.['event-id']?.toString(),
        ...(stub && { stub, valueBytes: value?.length ?? 0 }),
      });
    },
  };

  /** The stub with the first bytes of the value, else (still refused) with none. */
  async function writeStub(
    topic: string,
    parts: {
      key: Buffer | null;
      value: Buffer | null;
      headers: KafkaMessage['headers'];
      dlqHeaders: Record<string, string>;
      reason: string;
    },
  ) {
    const { key, value, headers, dlqHeaders, reason } = parts;
    const stubOf = (valueBytes: number) =>
      stubDeadLetter(key, value, headers, dlqHeaders, { reason, valueBytes });
    try {
      return await send(topic, stubOf(DEAD_LETTER_LIMITS.stubValueBytes));
    } catch (error) {
      if (!isRecordTooLarge(error)) throw error;
      return await send(topic, stubOf(0));
    }
  }
}
