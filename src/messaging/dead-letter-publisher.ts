import type { KafkaMessage } from 'kafkajs';
import type { GuardedProducer } from './guarded-producer';
import { DLQ_HEADERS } from './dead-letter-headers';
import { deadLetterTopic } from './topics';
import { errorClassOf } from './failure-policy';
import { errorMessage } from '../shared/app-error';
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

/**
 * Writes a failed record to `<topic>_dlq`: the original key and value bytes untouched, and
 * headers saying where it came from and why it failed. Goes through the same breaker as every
 * other send, so a Kafka outage stops dead-lettering instead of losing records.
 */
export function createDeadLetterPublisher(
  producer: GuardedProducer,
  { serviceVersion, metrics, logger }: { serviceVersion: string; metrics: Metrics; logger: Logger },
): DeadLetterPublisher {
  return {
    async publish(record, consumerGroup) {
      const { topic, partition, message, error, attempts, firstFailedAt } = record;
      const errorClass = errorClassOf(error);
      const headers = {
        ...message.headers,
        [DLQ_HEADERS.originalTopic]: topic,
        [DLQ_HEADERS.originalPartition]: String(partition),
        [DLQ_HEADERS.originalOffset]: message.offset,
        [DLQ_HEADERS.originalTimestamp]: message.timestamp,
        [DLQ_HEADERS.consumerGroup]: consumerGroup,
        [DLQ_HEADERS.errorClass]: errorClass,
        [DLQ_HEADERS.errorMessage]: truncateText(errorMessage(error), MAX_ERROR_MESSAGE),
        [DLQ_HEADERS.attempts]: String(attempts),
        [DLQ_HEADERS.firstFailureAt]: firstFailedAt.toISOString(),
        [DLQ_HEADERS.lastFailureAt]: new Date().toISOString(),
        [DLQ_HEADERS.serviceVersion]: serviceVersion,
      };
      await producer.send([
        {
          topic: deadLetterTopic(topic),
          messages: [{ key: message.key, value: message.value, headers }],
        },
      ]);
      metrics.deadLettered.inc({ topic, error_class: errorClass });
      logger.error('record dead-lettered', {
        topic,
        partition,
        offset: message.offset,
        errorClass,
        error: errorMessage(error),
        orderId: record.orderId ?? message.key?.toString(),
        eventId: record.eventId ?? message.headers?.['event-id']?.toString(),
      });
    },
  };
}
