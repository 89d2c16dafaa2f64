import type { Consumer, Kafka } from 'kafkajs';
import { errorMessage } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import { backoffDelay, retry, sleep } from '../../shared/retry';
import type { SagaRecordProcessor } from './saga-record-processor';

export interface SagaConsumerOptions {
  groupId: string;
  partitionsConcurrency: number;
  retryMinMs: number;
  retryMaxMs: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface SagaConsumerDependencies {
  kafka: Kafka;
  processor: SagaRecordProcessor;
  logger: Logger;
}

export const SAGA_CONSUMER_STATES = ['running', 'restarting', 'stopped'] as const;
export type SagaConsumerState = (typeof SAGA_CONSUMER_STATES)[number];

export interface SagaConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** `restarting` between a kafkajs crash and the next successful join. */
  state(): SagaConsumerState;
}

/**
 * The saga consumer's lifecycle: it joins the group, hands batches to the record processor,
 * and after any crash relaunches itself with backoff. kafkajs restarts by itself only after
 * retriable crashes and gives up on the rest (a protocol error during a rebalance, say),
 * leaving a live process that consumes nothing.
 */
export function createSagaConsumer(
  { kafka, processor, logger }: SagaConsumerDependencies,
  options: SagaConsumerOptions,
): SagaConsumer {
  let state: SagaConsumerState = 'stopped';
  let consumer: Consumer | undefined;
  let stopping = new AbortController();
  let crashes = 0;

  async function launch(): Promise<void> {
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
    state = 'running';
    crashes = 0;
    logger.info('saga consumer running', { groupId: options.groupId, topics: processor.topics });
  }

  /** A fresh consumer after a backoff, and again after each failed attempt, until stopped. */
  async function relaunch(): Promise<void> {
    const { signal } = stopping;
    await sleep(backoffDelay(crashes++, options.retryMinMs, options.retryMaxMs), signal);
    await retry(
      async () => {
        if (signal.aborted) return;
        await consumer?.disconnect().catch(() => undefined);
        await launch();
      },
      {
        minMs: options.retryMinMs,
        maxMs: options.retryMaxMs,
        signal,
        onRetry: ({ message, delayMs }) =>
          logger.error('saga consumer restart failed; retrying', { error: message, delayMs }),
      },
    ).catch(() => undefined); // only a stop ends the retries
  }

  return {
    async start() {
      stopping = new AbortController();
      state = 'restarting';
      await launch();
    },
    async stop() {
      state = 'stopped';
      stopping.abort();
      processor.cancelRetries();
      await consumer?.disconnect();
    },
    state: () => state,
  };
}
