import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, served at GET /metrics. One registry per service instance (not the
 * global one), so tests running several instances in one process do not collide.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    sagaEvents: new Counter({
      name: 'saga_events_total',
      help: 'Consumed saga events by topic and outcome (applied, compensated, ignored, duplicate)',
      labelNames: ['topic', 'outcome'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'dead_lettered_records_total',
      help: 'Records sent to a dead-letter topic, by source topic and error class',
      labelNames: ['topic', 'error_class'] as const,
      registers: [registry],
    }),
    consumerRetries: new Counter({
      name: 'consumer_retries_total',
      help: 'Partition pauses to retry a record (a dependency was down, or an unknown error below its attempt limit), by topic',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    deadlinesExpired: new Counter({
      name: 'saga_deadlines_expired_total',
      help: 'Orders moved on by the deadline sweeper, by the status they timed out in',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
