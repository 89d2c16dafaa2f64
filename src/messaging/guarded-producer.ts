import { once } from 'node:events';
import CircuitBreaker from 'opossum';
import { Partitioners, type Kafka, type TopicMessages } from 'kafkajs';
import type { Logger } from '../shared/logger';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  timeoutMs: number;
  errorThresholdPercentage: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
  rollingCountTimeoutMs: number;
}

/**
 * The one way this service writes to Kafka: a kafkajs producer behind an opossum breaker.
 * While the breaker is open, sends fail at once instead of piling up on a sick cluster, and
 * callers wait for the half-open probe with `waitUntilCallable`.
 */
export interface GuardedProducer {
  send(topicMessages: TopicMessages[]): Promise<void>;
  state(): BreakerState;
  /** Resolves at once when closed, else when the breaker lets a probe through (or on abort). */
  waitUntilCallable(signal: AbortSignal): Promise<void>;
  disconnect(): Promise<void>;
}

export function createGuardedProducer(
  kafka: Kafka,
  options: BreakerOptions,
  logger: Logger,
): GuardedProducer {
  // One request in flight keeps each partition's records in the order they were sent;
  // acks from all in-sync replicas before a row counts as published.
  // The default (murmur2) partitioner is the Java client's, so peers on any client agree on
  // which partition an order id maps to.
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
    maxInFlightRequests: 1,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  let connected: Promise<void> | undefined;

  const breaker = new CircuitBreaker(
    async (topicMessages: TopicMessages[]) => {
      connected ??= producer.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      await producer.sendBatch({ topicMessages, acks: -1 });
    },
    {
      name: 'kafka-producer',
      timeout: options.timeoutMs,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingCountTimeoutMs,
    },
  );
  breaker.on('open', () =>
    logger.warn('circuit breaker opened: Kafka sends paused', { breaker: 'kafka-producer' }),
  );
  breaker.on('halfOpen', () =>
    logger.info('circuit breaker half-open: probing Kafka', { breaker: 'kafka-producer' }),
  );
  breaker.on('close', () =>
    logger.info('circuit breaker closed: Kafka sends resumed', { breaker: 'kafka-producer' }),
  );

  const state = (): BreakerState =>
    breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed';

  return {
    async send(topicMessages) {
      await breaker.fire(topicMessages);
    },
    state,
    async waitUntilCallable(signal) {
      if (!breaker.opened || signal.aborted) return;
      await once(breaker, 'halfOpen', { signal }).catch(() => undefined);
    },
    async disconnect() {
      breaker.shutdown();
      await producer.disconnect();
    },
  };
}
