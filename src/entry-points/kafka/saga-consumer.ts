import { KafkaJSSASLAuthenticationError, type Consumer, type Kafka } from 'kafkajs';
import { errorMessage, someCause } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import { backoffDelay, retry, sleep } from '../../shared/retry';
import { TopicsRefusedError } from '../../messaging/topic-check';
import type { SagaRecordProcessor } from './saga-record-processor';

export interface SagaConsumerOptions {
  groupId: string;
  partitionsConcurrency: number;
  retryMinMs: number;
  retryMaxMs: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /**
   * How long a stop lets a join in flight finish, so the consumer leaves the group instead of
   * vanishing from it mid-join (default 5 s).
   */
  joinWaitOnStopMs?: number;
}

/** An unreachable broker is an outage and is retried; refused credentials are a mistake. */
function credentialsRefused(error: unknown): boolean {
  return someCause(
    error,
    (cause) =>
      cause instanceof KafkaJSSASLAuthenticationError ||
      // kafkajs' retrier re-wraps it as non-retriable, keeping only its message.
      /^SASL .*authentication failed/.test(cause.message),
  );
}

/** The broker will not create or describe our topics, whatever we retry (topic-check.ts). */
function topicsRefused(error: unknown): boolean {
  return someCause(error, (cause) => cause instanceof TopicsRefusedError);
}

/**
 * Work that must succeed before each join, retried with the same backoff (topic provisioning).
 * It gets the consumer's stop signal: a stop must not leave it running.
 */
export type BeforeJoin = (signal: AbortSignal) => Promise<void>;

export interface SagaConsumerDependencies {
  kafka: Kafka;
  processor: SagaRecordProcessor;
  logger: Logger;
  beforeJoin?: BeforeJoin;
  /**
   * Told once when the cluster refuses our credentials, or our topics for good (replication
   * factor, authorization): retrying cannot help, an operator must.
   */
  onRefused?: (error: Error) => void;
}

export const SAGA_CONSUMER_STATES = ['joining', 'running', 'restarting', 'stopped'] as const;
export type SagaConsumerState = (typeof SAGA_CONSUMER_STATES)[number];

export interface SagaConsumer {
  /**
   * Joins the group in the background: resolves once the consumer first runs, or once it is
   * stopped. A failed join is retried with backoff, never thrown: nothing waits for a broker.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `joining` until the first join, `restarting` between a crash and the next join. */
  state(): SagaConsumerState;
}

/**
 * The saga consumer's lifecycle: it joins the group, hands batches to the record processor,
 * and after any crash relaunches itself with backoff. kafkajs restarts by itself only after
 * retriable crashes and gives up on the rest (a protocol error during a rebalance, say),
 * leaving a live process that consumes nothing.
 */
export function createSagaConsumer(
  { kafka, processor, logger, beforeJoin, onRefused }: SagaConsumerDependencies,
  options: SagaConsumerOptions,
): SagaConsumer {
  let state: SagaConsumerState = 'stopped';
  let consumer: Consumer | undefined;
  let stopping = new AbortController();
  let crashes = 0;
  // The join in flight: stop() waits for it, so nothing of it (provisioning's admin client, a
  // consumer still connecting) outlives the stop.
  let joining: Promise<void> = Promise.resolve();

  async function launch(signal: AbortSignal): Promise<void> {
    await beforeJoin?.(signal);
    // Stopped while the topics were checked: a consumer made now would join only to leave, and
    // kafkajs logs a crash when it is disconnected mid-join (tulios/kafkajs#1639).
    if (signal.aborted) return;
    const created = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: 500,
      retry: { restartOnFailure: async () => false },
    });
    created.on(created.events.GROUP_JOIN, () => processor.forgetFailures());
    created.on(created.events.CRASH, ({ payload }) => {
      if (state === 'stopped') return;
      state = 'restarting';
      logger.error('saga consumer crashed; restarting', { error: errorMessage(payload.error) });
      void relaunch();
    });
    consumer = created;
    await created.connect();
    await created.subscribe({ topics: processor.topics, fromBeginning: true });
    await created.run({
      partitionsConsumedConcurrently: options.partitionsConcurrency,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        processor.eachBatch(payload, (offset) =>
          created.seek({ topic: payload.batch.topic, partition: payload.batch.partition, offset }),
        ),
    });
    // Stopped while this one joined: stop() may have disconnected it before it ran.
    if (state === 'stopped') return created.disconnect();
    state = 'running';
    crashes = 0;
    logger.info('saga consumer running', { groupId: options.groupId, topics: processor.topics });
  }

  /** A fresh consumer after a backoff, and again after each failed attempt, until stopped. */
  async function relaunch(): Promise<void> {
    const { signal } = stopping;
    await sleep(backoffDelay(crashes++, options.retryMinMs, options.retryMaxMs), signal);
    joining = join(signal);
    await joining;
  }

  /** Launches until one launch succeeds or the consumer is stopped. */
  async function join(signal: AbortSignal): Promise<void> {
    await retry(
      async () => {
        if (signal.aborted) return;
        await consumer?.disconnect().catch(() => undefined);
        try {
          await launch(signal);
        } catch (error) {
          if (credentialsRefused(error)) {
            logger.error('Kafka refused the SASL credentials; not retrying', {
              error: errorMessage(error),
            });
          } else if (topicsRefused(error)) {
            logger.error(`${errorMessage(error)}; not retrying`);
          } else throw error;
          stopping.abort();
          onRefused?.(error as Error);
        }
      },
      {
        minMs: options.retryMinMs,
        maxMs: options.retryMaxMs,
        signal,
        onRetry: ({ message, delayMs }) =>
          logger.error(
            `saga consumer ${state === 'joining' ? 'join' : 'restart'} failed; retrying`,
            {
              error: message,
              delayMs,
            },
          ),
      },
    ).catch(() => undefined); // only a stop ends the retries
  }

  return {
    async start() {
      stopping = new AbortController();
      state = 'joining';
      joining = join(stopping.signal);
      await joining;
    },
    async stop() {
      state = 'stopped';
      stopping.abort();
      processor.cancelRetries();
      // A launch in flight disconnects its consumer itself once joined (launch, above), which
      // leaves the group at once. Disconnected mid-join, kafkajs logs a crash
      // (tulios/kafkajs#1639) and the group waits a session timeout for the member that vanished.
      // A join still going after the wait (an unreachable broker) is cut short.
      const waited = new AbortController();
      await Promise.race([joining, sleep(options.joinWaitOnStopMs ?? 5_000, waited.signal)]);
      waited.abort();
      await consumer?.disconnect();
      await joining;
      // A launch that was connecting when the consumer above was disconnected made its own.
      await consumer?.disconnect();
    },
    state: () => state,
  };
}
