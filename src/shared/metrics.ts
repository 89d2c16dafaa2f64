import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds: from a fast local call to a backlog of minutes. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000];

/**
 * Prometheus metrics, served at GET /metrics. One registry per service instance (not the
 * global one), so tests running several instances in one process do not collide. Every label
 * takes values from a closed set (route templates, the saga table, topics, partitions, error
 * classes), never from ids. docs/operations.md (Metrics) says what each one is for.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Public API requests by route template, method and status code',
      labelNames: ['route', 'method', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    httpRequestsInProgress: new Gauge({
      name: 'http_requests_in_progress',
      help: 'Public API requests past their checks and doing their work now (bounded by HTTP_MAX_CONCURRENT_REQUESTS)',
      registers,
    }),
    httpRequestsShed: new Counter({
      name: 'http_requests_shed_total',
      help: 'Public API requests refused with 503 overloaded because HTTP_MAX_CONCURRENT_REQUESTS were in progress',
      registers,
    }),
    ordersCreated: new Counter({
      name: 'orders_created_total',
      help: 'Orders accepted and stored (idempotent replays not counted)',
      registers,
    }),
    sagaTransitions: new Counter({
      name: 'saga_transitions_total',
      help: 'Applied rows of the saga table, by from and to status and trigger',
      labelNames: ['from', 'to', 'trigger'] as const,
      registers,
    }),
    sagaEvents: new Counter({
      name: 'saga_events_total',
      help: 'Consumed saga events by topic and outcome (applied, compensated, ignored, duplicate, dead_lettered)',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    deadLettered: new Counter({
      name: 'dead_lettered_records_total',
      help: 'Records sent to a dead-letter topic, by source topic and error class',
      labelNames: ['topic', 'error_class'] as const,
      registers,
    }),
    deadLetterStubs: new Counter({
      name: 'dead_letter_stubs_total',
      help: 'Dead letters the DLQ topic refused whole (too large), written as a stub: hash and first bytes of the value, no original headers',
      labelNames: ['topic', 'reason'] as const,
      registers,
    }),
    consumerRetries: new Counter({
      name: 'consumer_retries_total',
      help: 'Partition pauses to retry a record (a dependency was down, or an unknown error below its attempt limit), by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    consumerPauses: new Counter({
      name: 'consumer_partition_pauses_total',
      help: 'Times the saga consumer paused a partition to retry a record, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    consumerResumes: new Counter({
      name: 'consumer_partition_resumes_total',
      help: 'Times the saga consumer resumed a paused partition, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    consumerLag: new Gauge({
      name: 'consumer_lag_records',
      help: "Records on a consumed partition after the saga consumer group's committed offset (sampled)",
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    deadlinesExpired: new Counter({
      name: 'saga_deadlines_expired_total',
      help: 'Orders moved on by the deadline sweeper, by the status they timed out in',
      labelNames: ['status'] as const,
      registers,
    }),
    outboxUnpublished: new Gauge({
      name: 'outbox_unpublished_rows',
      help: 'Outbox rows not yet acknowledged by Kafka (sampled)',
      registers,
    }),
    outboxOldestAge: new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row, 0 when there is none (sampled)',
      registers,
    }),
    outboxPublishLatency: new Histogram({
      name: 'outbox_publish_latency_seconds',
      help: 'From the event being written to the outbox to its Kafka acknowledgement',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    outboxBatchSize: new Histogram({
      name: 'outbox_publish_batch_size',
      help: 'Rows in one batch the relay published',
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'kafka_producer_breaker_transitions_total',
      help: 'State changes of the circuit breaker around Kafka sends, by the state entered',
      labelNames: ['to'] as const,
      registers,
    }),
    deadLetterBreakerTransitions: new Counter({
      name: 'dead_letter_breaker_transitions_total',
      help: 'State changes of the circuit breaker around dead-letter writes (its own, not the relay one), by the state entered',
      labelNames: ['to'] as const,
      registers,
    }),
    ordersInStatus: new Gauge({
      name: 'orders_by_status',
      help: 'Orders in each status that is not final (sampled; final ones only grow, see saga_transitions_total)',
      labelNames: ['status'] as const,
      registers,
    }),
    ordersPastDeadline: new Gauge({
      name: 'orders_past_step_deadline_seconds',
      help: 'How long the most overdue order waiting on a step (payment, inventory) has been past its deadline, 0 when none is (sampled)',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A gauge with one series per state, 1 for the current one: `name{state="…"}`. */
export function stateGauge<State extends string>(
  metrics: Metrics,
  name: string,
  help: string,
  states: readonly State[],
  current: () => State,
): Gauge<'state'> {
  return new Gauge({
    name,
    help,
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const now = current();
      for (const state of states) this.set({ state }, state === now ? 1 : 0);
    },
  });
}
