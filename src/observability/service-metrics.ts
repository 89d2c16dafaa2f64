import { createOperationsRepository } from '../data-access/operations-repository';
import { Counter, Gauge } from 'prom-client';
import { RELAY_SLOTS, type PendingOutboxMessage } from '../data-access/outbox-repository';
import type { Database } from '../data-access/prisma-client-factory';
import type { EventOutcome } from '../domain/saga-store';
import { BREAKER_STATES, type GuardedProducer } from '../messaging/guarded-producer';
import { createConsumerLagReader } from '../messaging/consumer-lag';
import type { Messaging } from '../messaging/messaging-factory';
import { CONSUMED_TOPICS, physicalTopic } from '../messaging/topics';
import { SAGA_CONSUMER_STATES, type SagaConsumer } from '../entry-points/kafka/saga-consumer';
import type { Logger } from '../shared/logger';
import type { OutboxRelay } from '../workers/outbox-relay';
import { stateGauge, type Metrics } from '../shared/metrics';
import { createMetricsSampler, type MetricsSampler } from './metrics-sampler';
import { declareSagaTransitions } from './saga-metrics';

const CONSUMED_OUTCOMES = [
  'applied',
  'compensated',
  'duplicate',
  'ignored',
  'dead_lettered',
] as const satisfies ReadonlyArray<EventOutcome | 'dead_lettered'>;

/**
 * A breaker around Kafka sends: its state at scrape time, its transitions as they happen
 * (every `to` declared at 0, so an alert has a series before the first opening). The relay's
 * (`kafka_producer_breaker_*`) and the dead-letter writes' (`dead_letter_breaker_*`) are two.
 */
export function observeBreaker(
  metrics: Metrics,
  producer: GuardedProducer,
  which: 'relay' | 'dead-letter' = 'relay',
): void {
  const [prefix, help, transitions] =
    which === 'relay'
      ? [
          'kafka_producer_breaker',
          'Circuit breaker around Kafka sends: 1 for the state it is in (closed, half-open, open)',
          metrics.breakerTransitions,
        ]
      : [
          'dead_letter_breaker',
          'Circuit breaker around dead-letter writes: 1 for the state it is in (closed, half-open, open)',
          metrics.deadLetterBreakerTransitions,
        ];
  stateGauge(metrics, `${prefix}_state`, help, BREAKER_STATES, producer.state);
  for (const to of BREAKER_STATES) transitions.inc({ to }, 0);
  producer.onStateChange((to) => transitions.inc({ to }));
  new Counter({
    name: `${prefix}_failures_total`,
    help: 'Failed sends this breaker counted (a record the broker refused as too large is not one)',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(producer.failures());
    },
  });
}

/** The saga consumer's state at scrape time, and every consumed topic and outcome at 0. */
export function observeConsumer(metrics: Metrics, consumer: Pick<SagaConsumer, 'state'>): void {
  stateGauge(
    metrics,
    'saga_consumer_state',
    'Saga consumer: 1 for the state it is in (running, restarting after a crash, stopped)',
    SAGA_CONSUMER_STATES,
    consumer.state,
  );
  for (const topic of CONSUMED_TOPICS) {
    for (const outcome of CONSUMED_OUTCOMES) metrics.sagaEvents.inc({ topic, outcome }, 0);
  }
}

/** How many outbox slots this instance publishes, at scrape time (all instances sum to 32). */
export function observeRelaySlots(metrics: Metrics, relay: Pick<OutboxRelay, 'slots'>): void {
  new Gauge({
    name: 'outbox_relay_slots_held',
    help: `Outbox slots this instance's relay publishes (of ${RELAY_SLOTS}, shared by all instances)`,
    registers: [metrics.registry],
    collect() {
      this.set(relay.slots().length);
    },
  });
}

/** The consumed topic (label value) a physical topic name stands for, under `prefix`. */
export function consumedTopicOf(prefix: string): (physical: string) => string | undefined {
  const byPhysical = new Map<string, string>(
    CONSUMED_TOPICS.map((topic) => [physicalTopic(prefix, topic), topic]),
  );
  return (physical) => byPhysical.get(physical);
}

/**
 * The relay's observer: batch size, and publish latency from each event's `occurredAt` (set in
 * the transaction that wrote its outbox row) to Kafka's acknowledgement.
 */
export function observeOutboxPublished(metrics: Metrics) {
  return (rows: readonly PendingOutboxMessage[], ackedAt: number): void => {
    metrics.outboxBatchSize.observe(rows.length);
    for (const row of rows) {
      const occurredAt = (row.payload as { occurredAt?: unknown }).occurredAt;
      if (typeof occurredAt === 'number') {
        metrics.outboxPublishLatency.observe(Math.max(0, ackedAt - occurredAt) / 1000);
      }
    }
  };
}

export interface ServiceMetricsParts {
  settings: { topicPrefix: string; consumerGroup: string; sampleIntervalMs: number };
  metrics: Metrics;
  /** The pool the sampler's queries use. */
  db: Database;
  messaging: Pick<Messaging, 'kafka' | 'producer' | 'deadLetterProducer'>;
  consumer: SagaConsumer;
  relay: Pick<OutboxRelay, 'slots'>;
  logger: Logger;
}

/** Everything `/metrics` shows beyond what the parts count themselves; stop() ends the sampling. */
export function startServiceMetrics({
  settings,
  metrics,
  db,
  messaging,
  consumer,
  relay,
  logger,
}: ServiceMetricsParts): MetricsSampler {
  const { topicPrefix, consumerGroup, sampleIntervalMs } = settings;
  declareSagaTransitions(metrics);
  observeBreaker(metrics, messaging.producer);
  observeBreaker(metrics, messaging.deadLetterProducer, 'dead-letter');
  observeConsumer(metrics, consumer);
  observeRelaySlots(metrics, relay);
  const consumed = CONSUMED_TOPICS.map((topic) => physicalTopic(topicPrefix, topic));
  const sampler = createMetricsSampler(
    {
      operations: createOperationsRepository(db),
      lag: createConsumerLagReader(messaging.kafka, consumerGroup, consumed),
      logicalTopic: consumedTopicOf(topicPrefix),
      metrics,
      logger: logger.child({ namespace: 'MetricsSampler' }),
    },
    sampleIntervalMs,
  );
  sampler.start();
  return sampler;
}
