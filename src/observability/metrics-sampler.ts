import type { OperationsRepository } from '../data-access/operations-repository';
import { ORDER_STATUSES } from '../domain/order-status';
import { TERMINAL_STATUSES } from '../domain/saga-transitions';
import type { ConsumerLagReader } from '../messaging/consumer-lag';
import { errorMessage } from '../shared/app-error';
import { createBackgroundLoop } from '../shared/background-loop';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';

/** Orders that can still move: final ones only ever grow, and counting them costs a scan. */
export const IN_FLIGHT_STATUSES = ORDER_STATUSES.filter(
  (status) => !TERMINAL_STATUSES.includes(status),
);

export interface MetricsSamplerDependencies {
  operations: OperationsRepository;
  lag: ConsumerLagReader;
  /** The consumed topic a physical topic name stands for (the label), if it is one. */
  logicalTopic: (physical: string) => string | undefined;
  metrics: Metrics;
  logger: Logger;
}

export interface MetricsSampler {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Samples what a scrape must not wait for, every `intervalMs`: the outbox backlog, orders by
 * status (Postgres) and the consumer's lag (Kafka's admin API). One query each per interval
 * however often Prometheus scrapes; a probe that fails leaves its gauges as they were and is
 * logged once until it works again (the mock broker, say, has no admin offsets).
 */
export function createMetricsSampler(
  { operations, lag, logicalTopic, metrics, logger }: MetricsSamplerDependencies,
  intervalMs: number,
): MetricsSampler {
  const failing = new Set<string>();

  async function probe(name: string, sample: () => Promise<void>): Promise<void> {
    try {
      await sample();
      if (failing.delete(name)) logger.info('metrics probe works again', { probe: name });
    } catch (error) {
      if (!failing.has(name)) {
        failing.add(name);
        logger.warn('metrics probe failed; its gauges keep their last value', {
          probe: name,
          error: errorMessage(error),
        });
      }
    }
  }

  const sampleOutbox = async () => {
    const { unpublished, oldestCreatedAt } = await operations.outboxBacklog();
    metrics.outboxUnpublished.set(unpublished);
    const age = oldestCreatedAt ? (Date.now() - oldestCreatedAt.getTime()) / 1000 : 0;
    metrics.outboxOldestAge.set(Math.max(0, age));
  };

  const sampleOrders = async () => {
    const { byStatus, earliestDeadline } = await operations.inFlightOrders(IN_FLIGHT_STATUSES);
    for (const status of IN_FLIGHT_STATUSES) {
      metrics.ordersInStatus.set({ status }, byStatus.get(status) ?? 0);
    }
    // The sweeper moves an order on within SAGA_SWEEP_INTERVAL_MS of its deadline: one far
    // past it is stuck (the sweeper not running, or its transition failing).
    const overdue = earliestDeadline ? (Date.now() - earliestDeadline.getTime()) / 1000 : 0;
    metrics.ordersPastDeadline.set(Math.max(0, overdue));
  };

  const sampleLag = async () => {
    const lags = await lag.read();
    metrics.consumerLag.reset();
    for (const { topic, partition, lag: records } of lags) {
      const logical = logicalTopic(topic);
      if (logical)
        metrics.consumerLag.set({ topic: logical, partition: String(partition) }, records);
    }
  };

  const loop = createBackgroundLoop({
    name: 'metrics sampling',
    async step() {
      await Promise.all([
        probe('outbox', sampleOutbox),
        probe('orders', sampleOrders),
        probe('consumer lag', sampleLag),
      ]);
      return 'idle';
    },
    idleMs: intervalMs,
    retryMinMs: intervalMs,
    retryMaxMs: intervalMs,
    logger,
  });

  return {
    start: loop.start,
    async stop() {
      await loop.stop();
      await lag.close().catch(() => undefined);
    },
  };
}
