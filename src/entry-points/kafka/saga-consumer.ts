import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { SagaRepository } from '../../data-access/saga-repository';
import { CONSUMED_TOPICS, physicalTopic, type ConsumedTopic } from '../../messaging/topics';
import { classifyFailure, errorMessageOf } from '../../messaging/failure-policy';
import { backoffDelay } from '../../shared/wake-signal';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import type { InboundRecordDecoder } from './inbound-record-decoder';
import type { InboundEvent } from '../../domain/inbound-events';
import type { DeadLetterPublisher, FailedRecord } from './dead-letter-publisher';

export interface SagaConsumerOptions {
  groupId: string;
  topicPrefix: string;
  partitionsConcurrency: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Attempts for a handler error of unknown kind before the record is dead-lettered. */
  maxUnknownAttempts: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface SagaConsumerDependencies {
  kafka: Kafka;
  decoder: InboundRecordDecoder;
  saga: SagaRepository;
  deadLetters: DeadLetterPublisher;
  metrics: Metrics;
  logger: Logger;
}

export interface SagaConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `restarting` between a kafkajs crash and the next successful join. */
  state(): 'running' | 'restarting' | 'stopped';
}

type RecordResult = 'done' | 'retry';

/**
 * Reads the peers' replies and drives the saga. Offsets are resolved one record at a time and
 * only after its database transaction committed, so a crash can repeat a delivery (deduplicated
 * on the event id) but never lose one. Failures go through one policy (failure-policy.ts):
 * transient ones pause the partition and retry from the same offset; poison records are
 * dead-lettered and the partition moves on.
 */
export function createSagaConsumer(
  deps: SagaConsumerDependencies,
  options: SagaConsumerOptions,
): SagaConsumer {
  const { kafka, decoder, saga, deadLetters, metrics, logger } = deps;
  const topicByPhysical = new Map<string, ConsumedTopic>(
    CONSUMED_TOPICS.map((topic) => [physicalTopic(options.topicPrefix, topic), topic]),
  );
  /** Failures per record (topic/partition/offset), for backoff and the unknown-error limit. */
  const attempts = new Map<string, { count: number; firstFailedAt: Date }>();
  const resumeTimers = new Set<NodeJS.Timeout>();
  let consumer: Consumer | undefined;

  async function processRecord(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<RecordResult> {
    const key = `${topic}/${partition}/${message.offset}`;
    let event: InboundEvent | undefined;
    try {
      const logical = topicByPhysical.get(topic) as ConsumedTopic;
      event = await decoder.decode(logical, message);
      const { outcome, reason } = await saga.handleEvent(
        { eventId: event.eventId, topic: logical, orderId: event.orderId },
        event.input,
      );
      metrics.sagaEvents.inc({ topic: logical, outcome });
      // An ignored reply does not fit the order (wrong status, a payment it does not know):
      // worth an operator's look.
      const level = { applied: 'debug', duplicate: 'debug', compensated: 'info', ignored: 'warn' };
      logger.log(level[outcome], `saga event ${outcome}`, {
        topic: logical,
        eventId: event.eventId,
        orderId: event.orderId,
        reason,
      });
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
          error: errorMessageOf(error),
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

  async function eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
    pause,
  }: EachBatchPayload) {
    const { topic, partition } = batch;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      let result: RecordResult;
      try {
        result = await processRecord(topic, partition, message);
      } catch (error) {
        logger.warn('dead-letter write failed; record will be retried', {
          topic,
          error: errorMessageOf(error),
        });
        result = 'retry';
      }
      if (result === 'retry') {
        pauseAndRetryLater(topic, partition, message.offset, pause);
        return;
      }
      resolveOffset(message.offset);
      await heartbeat();
    }
  }

  /** Stops fetching this partition, rewinds to the failed record, and resumes after a backoff. */
  function pauseAndRetryLater(
    topic: string,
    partition: number,
    offset: string,
    pause: () => () => void,
  ) {
    const resume = pause();
    consumer?.seek({ topic, partition, offset });
    const failures = attempts.get(`${topic}/${partition}/${offset}`)?.count ?? 1;
    const timer = setTimeout(
      () => {
        resumeTimers.delete(timer);
        resume();
      },
      backoffDelay(failures - 1, options.retryMinMs, options.retryMaxMs),
    );
    resumeTimers.add(timer);
  }

  let state: 'running' | 'restarting' | 'stopped' = 'stopped';
  let relaunchTimer: NodeJS.Timeout | undefined;
  let crashes = 0;

  async function launch(): Promise<void> {
    const created = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: 500,
      // kafkajs restarts by itself only after retriable crashes and gives up on the rest (a
      // protocol error during a rebalance, say), leaving a live process that consumes nothing.
      // We restart after every crash instead, with our own backoff, below.
      retry: { restartOnFailure: async () => false },
    });
    // After a rebalance the partitions may belong to another instance: forget their failures,
    // so the map does not keep entries for records this instance will never see again.
    created.on(created.events.GROUP_JOIN, () => attempts.clear());
    created.on(created.events.CRASH, ({ payload }) => {
      if (state === 'stopped') return;
      state = 'restarting';
      const delay = backoffDelay(crashes++, options.retryMinMs, options.retryMaxMs);
      logger.error('saga consumer crashed; restarting', {
        error: errorMessageOf(payload.error),
        delayMs: delay,
      });
      relaunchTimer = setTimeout(relaunch, delay);
    });
    consumer = created;
    await created.connect();
    await created.subscribe({ topics: [...topicByPhysical.keys()], fromBeginning: true });
    await created.run({
      partitionsConsumedConcurrently: options.partitionsConcurrency,
      eachBatchAutoResolve: false,
      eachBatch,
    });
    state = 'running';
    crashes = 0;
    logger.info('saga consumer running', {
      groupId: options.groupId,
      topics: [...topicByPhysical.keys()],
    });
  }

  function relaunch(): void {
    relaunchTimer = undefined;
    if (state === 'stopped') return;
    Promise.resolve(consumer?.disconnect())
      .catch(() => undefined)
      .then(launch)
      .catch((error: unknown) => {
        if (state === 'stopped') return;
        const delay = backoffDelay(crashes++, options.retryMinMs, options.retryMaxMs);
        logger.error('saga consumer restart failed; retrying', {
          error: errorMessageOf(error),
          delayMs: delay,
        });
        relaunchTimer = setTimeout(relaunch, delay);
      });
  }

  return {
    async start() {
      state = 'restarting';
      await launch();
    },
    async stop() {
      state = 'stopped';
      clearTimeout(relaunchTimer);
      for (const timer of resumeTimers) clearTimeout(timer);
      resumeTimers.clear();
      await consumer?.disconnect();
    },
    state: () => state,
  };
}
