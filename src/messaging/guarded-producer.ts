import { once } from 'node:events';
import CircuitBreaker from 'opossum';
import type { CompressionTypes, Kafka, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { producerSettings } from './kafka-client-factory';
import { someCause } from '../shared/app-error';
import type { Logger } from '../shared/logger';

export const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface ProducerOptions extends BreakerOptions {
  /** Kafka's idempotent producer (off only for brokers without it, such as the mock). */
  idempotent: boolean;
  /** Names the breaker in its log lines (default `kafka-producer`, the relay's). */
  name?: string;
  /** Compression of every batch this producer sends (none unless given). */
  compression?: CompressionTypes;
}

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
  /** Resolves with where Kafka put the records, once every in-sync replica has them. */
  send(topicMessages: TopicMessages[]): Promise<RecordMetadata[]>;
  state(): BreakerState;
  /** Failed sends the breaker counted since start (a refused record is not one). */
  failures(): number;
  /** Resolves at once when closed, else when the breaker lets a probe through (or on abort). */
  waitUntilCallable(signal: AbortSignal): Promise<void>;
  /** Calls `listener` with the state entered, on every change (for metrics). */
  onStateChange(listener: (state: BreakerState) => void): void;
  disconnect(): Promise<void>;
}

/**
 * Errors after which the broker no longer accepts this producer id's sequence numbers, for
 * example when a batch that timed out had landed and a retry carries different records. Only a
 * new producer id recovers; the idempotent producer needs one.
 */
const PRODUCER_ID_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/**
 * kafkajs 2.2.4 keeps a seed broker whose first request (ApiVersions) timed out, as against a
 * hung broker, which accepts the connection and does not answer: the socket stays open, so the
 * broker counts as connected and is never set up again, and every later request fails with
 * this message, also once the broker answers again. A new producer has a new broker pool.
 */
const HALF_CONNECTED = 'Broker not connected';

/**
 * The broker refused the record itself (over `max.message.bytes` or the batch bound): nothing is
 * wrong with the cluster, so the breaker does not count it, and the caller decides (the
 * dead-letter publisher writes a stub instead). kafkajs does not retry these.
 */
const RECORD_REFUSALS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

export function isRecordTooLarge(error: unknown): boolean {
  return someCause(error, (cause) => RECORD_REFUSALS.has((cause as { type?: string }).type ?? ''));
}

/** Why this producer must be replaced (kafkajs wraps errors in `cause`), or undefined. */
function replacementReason(error: unknown): string | undefined {
  if (someCause(error, (cause) => PRODUCER_ID_ERRORS.has((cause as { type?: string }).type ?? '')))
    return 'producer id no longer accepted by the broker; starting a new producer';
  if (someCause(error, (cause) => cause.message === HALF_CONNECTED))
    return 'connection left half set up by a broker that did not answer; starting a new producer';
  return undefined;
}

export function createGuardedProducer(
  kafka: Kafka,
  options: ProducerOptions,
  logger: Logger,
): GuardedProducer {
  // Acks from all in-sync replicas before a row counts as published (sendBatch below).
  const newProducer = (): Producer => kafka.producer(producerSettings(options.idempotent));
  let producer = newProducer();
  let connected: Promise<void> | undefined;
  const name = options.name ?? 'kafka-producer';
  const { compression } = options;

  const breaker = new CircuitBreaker(
    async (topicMessages: TopicMessages[]) => {
      const current = producer;
      connected ??= current.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      try {
        await connected;
        return await current.sendBatch({
          topicMessages,
          acks: -1,
          ...(compression && { compression }),
        });
      } catch (error) {
        const reason = replacementReason(error);
        if (reason && current === producer) {
          logger.warn(reason, { error: (error as Error).message });
          producer = newProducer();
          connected = undefined;
          void current.disconnect().catch(() => undefined);
        }
        throw error;
      }
    },
    {
      name,
      timeout: options.timeoutMs,
      errorFilter: isRecordTooLarge,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingCountTimeoutMs,
    },
  );
  // Opossum opens on a failure *rate* over its window. A busy relay fills that window with
  // successes just before a broker hangs, and with one send in flight the timeouts outvote them
  // only once the successes have rolled out: the drills saw it stay closed through a 45 s hang.
  // A run of BREAKER_VOLUME_THRESHOLD failed sends in a row opens it as well.
  let failuresInARow = 0;
  let failures = 0;
  breaker.on('success', () => {
    failuresInARow = 0;
  });
  breaker.on('failure', () => {
    failures += 1;
    failuresInARow += 1;
    if (failuresInARow >= options.volumeThreshold && breaker.closed) breaker.open();
  });
  breaker.on('open', () =>
    logger.warn('circuit breaker opened: Kafka sends paused', { breaker: name }),
  );
  breaker.on('halfOpen', () =>
    logger.info('circuit breaker half-open: probing Kafka', { breaker: name }),
  );
  breaker.on('close', () =>
    logger.info('circuit breaker closed: Kafka sends resumed', { breaker: name }),
  );

  const state = (): BreakerState =>
    breaker.opened ? 'open' : breaker.halfOpen ? 'half-open' : 'closed';

  return {
    async send(topicMessages) {
      return breaker.fire(topicMessages);
    },
    state,
    failures: () => failures,
    async waitUntilCallable(signal) {
      if (!breaker.opened || signal.aborted) return;
      await once(breaker, 'halfOpen', { signal }).catch(() => undefined);
    },
    onStateChange(listener) {
      breaker.on('open', () => listener('open'));
      breaker.on('halfOpen', () => listener('half-open'));
      breaker.on('close', () => listener('closed'));
    },
    async disconnect() {
      breaker.shutdown();
      await producer.disconnect();
    },
  };
}
