import type { KafkaMessage } from 'kafkajs';
import type { GuardedProducer } from '../../messaging/guarded-producer';
import { DLQ_HEADER_PREFIX } from '../../messaging/dead-letter-headers';
import { deadLetterTopic } from '../../messaging/topics';
import { errorClassOf, errorMessageOf } from '../../messaging/failure-policy';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';

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

const MAX_ERROR_MESSAGE = 1_000;

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
        [`${DLQ_HEADER_PREFIX}original-topic`]: topic,
        [`${DLQ_HEADER_PREFIX}original-partition`]: String(partition),
        [`${DLQ_HEADER_PREFIX}original-offset`]: message.offset,
        [`${DLQ_HEADER_PREFIX}original-timestamp`]: message.timestamp,
        [`${DLQ_HEADER_PREFIX}consumer-group`]: consumerGroup,
        [`${DLQ_HEADER_PREFIX}error-class`]: errorClass,
        [`${DLQ_HEADER_PREFIX}error-message`]: errorMessageOf(error).slice(0, MAX_ERROR_MESSAGE),
        [`${DLQ_HEADER_PREFIX}attempts`]: String(attempts),
        [`${DLQ_HEADER_PREFIX}first-failure-at`]: firstFailedAt.toISOString(),
        [`${DLQ_HEADER_PREFIX}last-failure-at`]: new Date().toISOString(),
        [`${DLQ_HEADER_PREFIX}service-version`]: serviceVersion,
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
        error: errorMessageOf(error),
        orderId: record.orderId ?? message.key?.toString(),
        eventId: record.eventId ?? message.headers?.['event-id']?.toString(),
      });
    },
  };
}
