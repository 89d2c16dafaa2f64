import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { ReplyResult, SagaReply } from '../../domain/handle-replies-use-case';
import type { InboundEvent } from '../../domain/inbound-events';
import type { EventOutcome } from '../../domain/saga-store';
import type { DeadLetterPublisher, FailedRecord } from '../../messaging/dead-letter-publisher';
import { classifyFailure } from '../../messaging/failure-policy';
import type { InboundRecordDecoder } from '../../messaging/inbound-record-decoder';
import { CONSUMED_TOPICS, physicalTopic, type ConsumedTopic } from '../../messaging/topics';
import { errorMessage } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import { backoffDelay } from '../../shared/retry';

export interface RecordProcessorOptions {
  groupId: string;
  topicPrefix: string;
  retryMinMs: number;
  retryMaxMs: number;
  /** Attempts for a handler error of unknown kind before the record is dead-lettered. */
  maxUnknownAttempts: number;
}

export interface RecordProcessorDependencies {
  decoder: InboundRecordDecoder;
  /** The use case (domain/handle-replies-use-case.ts), bound to its store. */
  handleReplies: (replies: readonly SagaReply[]) => Promise<ReplyResult[]>;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  logger: Logger;
}

export interface SagaRecordProcessor {
  /** Topics to subscribe to: the consumed topics under the prefix. */
  topics: string[];
  /** kafkajs's eachBatch: offsets are resolved one record at a time, after its effect. */
  eachBatch(payload: EachBatchPayload, seek: (offset: string) => void): Promise<void>;
  /** After a rebalance the partitions may be another instance's: their failure counts go. */
  forgetFailures(): void;
  /** Cancels pending resumes (on stop). */
  cancelRetries(): void;
}

type RecordResult = 'done' | 'retry';

const LOG_LEVEL: Record<EventOutcome, 'debug' | 'info' | 'warn'> = {
  applied: 'debug',
  duplicate: 'debug',
  compensated: 'info',
  ignored: 'warn',
};

/**
 * Reads one record into the saga: decode, apply, then resolve its offset. Failures go through
 * one policy (messaging/failure-policy.ts): transient ones pause the partition and retry from
 * the same offset; poison records are dead-lettered (offset resolved only after the DLQ write
 * is acknowledged) and the partition moves on.
 */
export function createSagaRecordProcessor(
  { decoder, handleReplies, deadLetters, metrics, logger }: RecordProcessorDependencies,
  options: RecordProcessorOptions,
): SagaRecordProcessor {
  const topicByPhysical = new Map<string, ConsumedTopic>(
    CONSUMED_TOPICS.map((topic) => [physicalTopic(options.topicPrefix, topic), topic]),
  );
  /** Failures per record (topic/partition/offset), for backoff and the unknown-error limit. */
  const attempts = new Map<string, { count: number; firstFailedAt: Date }>();
  const resumeTimers = new Set<NodeJS.Timeout>();

  async function apply(topic: ConsumedTopic, event: InboundEvent): Promise<void> {
    const ref = { eventId: event.eventId, topic, orderId: event.orderId };
    const [result] = await handleReplies([{ ref, input: event.input }]);
    if (!result) throw new Error('handleReplies returned no result');
    if ('rejected' in result) throw result.rejected;
    const { outcome, reason } = result;
    metrics.sagaEvents.inc({ topic, outcome });
    // An ignored reply does not fit the order (wrong status, a payment it does not know):
    // worth an operator's look.
    logger.log(LOG_LEVEL[outcome], `saga event ${outcome}`, { ...ref, reason });
  }

  async function process(topic: string, partition: number, message: KafkaMessage) {
    const key = `${topic}/${partition}/${message.offset}`;
    let event: InboundEvent | undefined;
    try {
      const logical = topicByPhysical.get(topic) as ConsumedTopic;
      event = await decoder.decode(logical, message);
      await apply(logical, event);
      attempts.delete(key);
      return 'done';
    } catch (error) {
      const kind = classifyFailure(error);
      const failure = attempts.get(key) ?? { count: 0, firstFailedAt: new Date() };
      failure.count++;
      attempts.set(key, failure);
      if (
        kind === 'transient' ||
        (kind === 'unknown' && failure.count < options.maxUnknownAttempts)
      ) {
        metrics.consumerRetries.inc({ topic });
        logger.warn('record failed; partition paused for a retry', {
          topic,
          partition,
          offset: message.offset,
          kind,
          attempt: failure.count,
          error: errorMessage(error),
        });
        return 'retry';
      }
      const record: FailedRecord = {
        topic,
        partition,
        message,
        error,
        attempts: failure.count,
        firstFailedAt: failure.firstFailedAt,
        eventId: event?.eventId,
        orderId: event?.orderId,
      };
      await deadLetters.publish(record, options.groupId); // throws if the DLQ write fails: retried
      attempts.delete(key);
      return 'done';
    }
  }

  /** Stops fetching this partition, rewinds to the failed record, and resumes after a backoff. */
  function pauseAndRetryLater(
    key: string,
    offset: string,
    pause: () => () => void,
    seek: (offset: string) => void,
  ) {
    const resume = pause();
    seek(offset);
    const failures = attempts.get(key)?.count ?? 1;
    const timer = setTimeout(
      () => {
        resumeTimers.delete(timer);
        resume();
      },
      backoffDelay(failures - 1, options.retryMinMs, options.retryMaxMs),
    );
    resumeTimers.add(timer);
  }

  return {
    topics: [...topicByPhysical.keys()],
    async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }, seek) {
      const { topic, partition } = batch;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) return;
        let result: RecordResult;
        try {
          result = await process(topic, partition, message);
        } catch (error) {
          logger.warn('dead-letter write failed; record will be retried', {
            topic,
            error: errorMessage(error),
          });
          result = 'retry';
        }
        if (result === 'retry') {
          pauseAndRetryLater(
            `${topic}/${partition}/${message.offset}`,
            message.offset,
            pause,
            seek,
          );
          return;
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
    forgetFailures: () => attempts.clear(),
    cancelRetries() {
      for (const timer of resumeTimers) clearTimeout(timer);
      resumeTimers.clear();
    },
  };
}
