// The whole saga under load: orders placed over HTTP, answered by instant peers (the simulators
// with no latency), until every order is CONFIRMED. Times come from the database's own
// timestamps (orders.created_at, the CONFIRMED history row, processed_events), not from polling.
import { Pool } from 'pg';
import { startPeers, type RunningPeers } from '../test/peer-simulators/start-peers';
import { createLogger } from '../src/shared/logger';
import { waitFor } from '../test/support/wait-for';
import autocannon from 'autocannon';
import { ORDER_BODY } from './intake';
import { percentiles, processCpuSeconds, processMemoryMb, type Percentiles } from './measure';
import type { BenchStack } from './stack';

export interface SagaThroughput {
  orders: number;
  /** First order created to last order confirmed. */
  seconds: number;
  sagasPerSecond: number;
  /** Accepted (orders.created_at) to CONFIRMED, per order. */
  confirmLatency: Percentiles;
  /** Replies applied by the saga consumer per second, while it was applying them. */
  consumerEventsPerSecond: number;
  /** CPU (user + system) of every service process over the run, per saga. */
  serviceCpuMsPerSaga: number;
  /** The first instance's peak RSS. */
  peakRssMb: number;
  /** Each instance's peak RSS and CPU per saga (of all the run's sagas), in start order. */
  instances: Array<{ peakRssMb: number; cpuMsPerSaga: number }>;
}

export function startInstantPeers(stack: BenchStack): Promise<RunningPeers> {
  return startPeers({
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    topicPrefix: stack.topicPrefix,
    consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeInMs: 100 },
    logger: createLogger('silent'),
  });
}

/** `orders` orders placed at full speed from `connections` connections, then drained. */
export async function sagaThroughput(
  stack: BenchStack,
  orders: number,
  connections: number,
  timeoutMs: number,
): Promise<SagaThroughput> {
  const peers = await startInstantPeers(stack);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  const cpuSeconds = () => stack.pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const cpuBefore = cpuSeconds();
  const cpuBeforeEach = stack.pids.map(processCpuSeconds);
  try {
    // Only this run's orders count, so a run may follow another (a warm-up) on the same stack.
    const startedAt = (await pool.query<{ at: Date }>('SELECT clock_timestamp() AS at')).rows[0]
      ?.at;
    const confirmedSince = async () =>
      Number(
        (
          await pool.query(
            `SELECT count(*) AS n FROM orders WHERE status = 'CONFIRMED' AND created_at >= $1`,
            [startedAt],
          )
        ).rows[0].n,
      );
    let placed = 0;
    while (placed < orders) {
      // autocannon stops after `amount` requests; repeat for any it could not place.
      const round = await placeOrders(stack, orders - placed, connections);
      placed += round;
    }
    await waitFor(async () => (await confirmedSince()) >= orders, {
      timeoutMs,
      intervalMs: 200,
      message: `${orders} orders CONFIRMED`,
    });
    const { rows } = await pool.query<{ latency_ms: number; created: Date; confirmed: Date }>(
      `SELECT extract(epoch FROM h.created_at - o.created_at) * 1000 AS latency_ms,
              o.created_at AS created, h.created_at AS confirmed
       FROM orders o JOIN order_status_history h ON h.order_id = o.id AND h.to_status = 'CONFIRMED'
       WHERE o.created_at >= $1`,
      [startedAt],
    );
    const first = Math.min(...rows.map((r) => r.created.getTime()));
    const last = Math.max(...rows.map((r) => r.confirmed.getTime()));
    const window = (
      await pool.query<{ n: string; seconds: number }>(
        `SELECT count(*) AS n, extract(epoch FROM max(processed_at) - min(processed_at)) AS seconds
         FROM processed_events WHERE processed_at >= $1`,
        [startedAt],
      )
    ).rows[0] as { n: string; seconds: number };
    const seconds = (last - first) / 1000;
    return {
      orders,
      seconds,
      sagasPerSecond: orders / seconds,
      confirmLatency: percentiles(rows.map((r) => Number(r.latency_ms))),
      consumerEventsPerSecond: Number(window.n) / Math.max(Number(window.seconds), 0.001),
      peakRssMb: processMemoryMb(stack.pid).peakRssMb,
      serviceCpuMsPerSaga: ((cpuSeconds() - cpuBefore) * 1000) / orders,
      instances: stack.pids.map((pid, i) => ({
        peakRssMb: processMemoryMb(pid).peakRssMb,
        cpuMsPerSaga: ((processCpuSeconds(pid) - (cpuBeforeEach[i] ?? 0)) * 1000) / orders,
      })),
    };
  } finally {
    await pool.end();
    await peers.stop();
  }
}

/**
 * `amount` orders from `connections` connections, spread evenly over every instance's HTTP port
 * (as a load balancer would), so each instance takes its share of intake and not only of the
 * saga's Kafka work.
 */
async function placeOrders(stack: BenchStack, amount: number, connections: number) {
  const urls = stack.serviceUrls;
  const share = (total: number, i: number) =>
    Math.floor(total / urls.length) + (i < total % urls.length ? 1 : 0);
  const results = await Promise.all(
    urls.map((url, i) =>
      share(amount, i) === 0
        ? Promise.resolve({ '2xx': 0 })
        : autocannon({
            url: `${url}/api/v1/orders`,
            method: 'POST',
            headers: { 'content-type': 'application/json', ...stack.authorization },
            body: ORDER_BODY,
            connections: Math.max(1, share(connections, i)),
            amount: share(amount, i),
          }),
    ),
  );
  return results.reduce((sum, result) => sum + result['2xx'], 0);
}

/**
 * An idle system: one order at a time, `gapMs` apart, each answered by instant peers; accepted
 * to CONFIRMED per order, from the database's timestamps.
 */
export async function idleConfirmLatency(
  stack: BenchStack,
  samples: number,
  gapMs: number,
): Promise<Percentiles> {
  const peers = await startInstantPeers(stack);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    const latencies: number[] = [];
    for (let i = 0; i <= samples; i++) {
      const response = await fetch(`${stack.serviceUrl}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...stack.authorization },
        body: ORDER_BODY,
      });
      const { id } = (await response.json()) as { id: string };
      const latency = await waitFor(
        async () => {
          const { rows } = await pool.query<{ ms: number }>(
            `SELECT extract(epoch FROM h.created_at - o.created_at) * 1000 AS ms
             FROM orders o JOIN order_status_history h ON h.order_id = o.id
             WHERE o.id = $1 AND h.to_status = 'CONFIRMED'`,
            [id],
          );
          return rows[0] && { ms: Number(rows[0].ms) };
        },
        { timeoutMs: 30_000, intervalMs: 5, message: `order ${id} CONFIRMED` },
      );
      if (i > 0) latencies.push(latency.ms); // the first one warms every path up
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return percentiles(latencies);
  } finally {
    await pool.end();
    await peers.stop();
  }
}
