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
import {
  runInContext,
  runWithCausingTraces,
  startRecordSpan,
  type RecordSpan,
} from '../../shared/trace-context';

export interface RecordProcessorOptions {
  groupId: string;
  topicPrefix: string;
  retryMinMs: number;
  retryMaxMs: number;
  /** Attempts for a handler error of unknown kind before the record is dead-lettered. */
  maxUnknownAttempts: number;
  /** Most replies applied in one transaction. */
  maxBatchSize: number;
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

/** Per event id, the traceparent of its handling: what the events it causes carry on. */
function causingTraces(group: ReadonlyArray<{ event: InboundEvent; traced?: RecordSpan }>) {
  const traces = new Map<string, string>();
  for (const { event, traced } of group) {
    if (traced?.traceparent) traces.set(event.eventId, traced.traceparent);
  }
  return traces;
}

const LOG_LEVEL: Record<EventOutcome, 'debug' | 'info' | 'warn'> = {
  applied: 'debug',
  duplicate: 'debug',
  compensated: 'info',
  ignored: 'warn',
};

/**
 * Reads a fetched batch of a partition into the saga: decode each record, apply the decoded
 * ones together in one transaction, then resolve their offsets in order. Failures go through
 * one policy (messaging/failure-policy.ts): transient ones pause the partition and retry from
 * the failed record's offset; poison records are dead-lettered (their offset resolved only
 * after the DLQ write is acknowledged) and the partition moves on.
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

  interface Decoded {
    message: KafkaMessage;
    event: InboundEvent;
    /** The span of handling it, a child of its headers' trace (tracing on only). */
    traced: RecordSpan | undefined;
  }

  const keyOf = (topic: string, partition: number, offset: string) =>
    `${topic}/${partition}/${offset}`;

  /**
   * A record that could not be processed: retried (transient, or unknown under the limit) or
   * dead-lettered. 'retry' when the partition must pause at it; a failed DLQ write is a retry.
   */
  async function failRecord(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: unknown,
    event?: InboundEvent,
  ): Promise<RecordResult> {
    const key = keyOf(topic, partition, message.offset);
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
        orderId: event?.orderId,
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
    try {
      await deadLetters.publish(record, options.groupId);
    } catch (dlqError) {
      logger.warn('dead-letter write failed; record will be retried', {
        topic,
        error: errorMessage(dlqError),
      });
      return 'retry';
    }
    attempts.delete(key);
    const logical = topicByPhysical.get(topic);
    if (logical) metrics.sagaEvents.inc({ topic: logical, outcome: 'dead_lettered' });
    return 'done';
  }

  /**
   * Applies decoded replies as ONE transaction (handle-replies-use-case), then resolves each
   * offset in order, dead-lettering the ones the saga rejected. Returns the record to pause at,
   * or undefined when all are done. An error of unknown kind for a group is narrowed down by
   * applying its records one at a time, so only the record at fault is retried and counted.
   */
  async function applyGroup(
    topic: string,
    partition: number,
    group: Decoded[],
    resolveOffset: (offset: string) => void,
  ): Promise<KafkaMessage | undefined> {
    const logical = topicByPhysical.get(topic) as ConsumedTopic;
    let results: Awaited<ReturnType<typeof handleReplies>>;
    const replies = group.map(({ event }) => ({
      ref: { eventId: event.eventId, topic: logical, orderId: event.orderId },
      input: event.input,
    }));
    try {
      results = group[0]?.traced
        ? await runWithCausingTraces(causingTraces(group), () => handleReplies(replies))
        : await handleReplies(replies);
    } catch (error) {
      if (group.length > 1 && classifyFailure(error) === 'unknown') {
        for (const single of group) {
          const paused = await applyGroup(topic, partition, [single], resolveOffset);
          if (paused) return paused;
        }
        return undefined;
      }
      const [first] = group as [Decoded];
      const result = await runInContext(first.traced?.context, () =>
        failRecord(topic, partition, first.message, error, first.event),
      );
      if (result === 'retry') return first.message;
      resolveOffset(first.message.offset);
      return group.length > 1
        ? applyGroup(topic, partition, group.slice(1), resolveOffset)
        : undefined;
    }
    for (const [index, { message, event, traced }] of group.entries()) {
      const result = results[index];
      if (!result) throw new Error('handleReplies returned fewer results than replies');
      if ('deferred' in result) {
        // Behind a rejected reply that is now dealt with: the rest, in a transaction of its own.
        return applyGroup(topic, partition, group.slice(index), resolveOffset);
      }
      if ('rejected' in result) {
        const outcome = await runInContext(traced?.context, () =>
          failRecord(topic, partition, message, result.rejected, event),
        );
        if (outcome === 'retry') return message;
      } else {
        const ref = { topic: logical, eventId: event.eventId, orderId: event.orderId };
        metrics.sagaEvents.inc({ topic: logical, outcome: result.outcome });
        // An ignored reply does not fit the order (wrong status, a payment it does not know):
        // worth an operator's look.
        runInContext(traced?.context, () =>
          logger.log(LOG_LEVEL[result.outcome], `saga event ${result.outcome}`, {
            ...ref,
            reason: result.reason,
          }),
        );
        attempts.delete(keyOf(topic, partition, message.offset));
      }
      resolveOffset(message.offset);
    }
    return undefined;
  }

  /** Stops fetching this partition, rewinds to the failed record, and resumes after a backoff. */
  function pauseAndRetryLater(
    topic: ConsumedTopic,
    key: string,
    offset: string,
    pause: () => () => void,
    seek: (offset: string) => void,
  ) {
    const resumePartition = pause();
    metrics.consumerPauses.inc({ topic });
    const resume = () => {
      resumePartition();
      metrics.consumerResumes.inc({ topic });
    };
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
      const logical = topicByPhysical.get(topic) as ConsumedTopic;
      const pauseAt = (message: KafkaMessage) =>
        pauseAndRetryLater(
          logical,
          keyOf(topic, partition, message.offset),
          message.offset,
          pause,
          seek,
        );
      let group: Decoded[] = [];
      const spans: RecordSpan[] = [];
      try {
        /** Applies what is decoded so far; false when the partition paused. */
        const flush = async (): Promise<boolean> => {
          if (group.length === 0) return true;
          const paused = await applyGroup(topic, partition, group, resolveOffset);
          group = [];
          if (paused) pauseAt(paused);
          else await heartbeat();
          return !paused;
        };
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) return;
          const traced = startRecordSpan(topic, message.headers);
          if (traced) spans.push(traced);
          let event: InboundEvent;
          try {
            event = await decoder.decode(logical, message);
          } catch (error) {
            // What is decoded before it is applied first, so offsets resolve in order.
            if (!(await flush())) return;
            const result = await runInContext(traced?.context, () =>
              failRecord(topic, partition, message, error),
            );
            if (result === 'retry') {
              pauseAt(message);
              return;
            }
            resolveOffset(message.offset);
            continue;
          }
          traced?.span.setAttribute('order.id', event.orderId);
          group.push({ message, event, traced });
          if (group.length >= options.maxBatchSize && !(await flush())) return;
        }
        await flush();
      } finally {
        for (const { span } of spans) span.end();
      }
    },
    forgetFailures: () => attempts.clear(),
    cancelRetries() {
      for (const timer of resumeTimers) clearTimeout(timer);
      resumeTimers.clear();
    },
  };
}
