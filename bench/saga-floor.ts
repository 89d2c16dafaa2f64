// Issue 23 item 2: the service's CPU per completed saga against the Node floor's
// (bench/floor-intake.ts + bench/floor-saga.ts), the same orders against the same instant peers,
// in one run. CPU is each process's own (user + system, /proc/<pid>/stat), intake included.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { createLogger } from '../src/shared/logger';
import { serviceTopics } from '../src/messaging/topic-provisioning';
import { startPeers } from '../test/peer-simulators/start-peers';
import { createMigratedDatabase } from '../test/support/database';
import type { LocalServices } from '../test/support/local-services';
import { waitFor } from '../test/support/wait-for';
import { ratioOf, startFloor } from './floor';
import { ORDER_BODY } from './intake';
import { SERVICE_POOL_SIZE } from './intake-floor';
import { processCpuSeconds, round } from './measure';
import { sagaThroughput } from './saga';
import type { BenchStack } from './stack';

export interface SagaCpuAgainstFloor {
  orders: number;
  serviceCpuMsPerSaga: number;
  floorCpuMsPerSaga: number;
  floorSagasPerSecond: number;
  serviceSagasPerSecond: number;
  ratio: number;
}

/** The floor's whole participant: its intake, its saga process and instant peers, on its own prefix. */
export async function startFloorStack(services: LocalServices, stack: BenchStack) {
  const topicPrefix = `floor${randomBytes(3).toString('hex')}.`;
  await stack.ensureTopics(serviceTopics(topicPrefix));
  const database = await createMigratedDatabase(services.postgres.adminUrl, 'order_floor');
  const env = { DATABASE_URL: database.url, TOPIC_PREFIX: topicPrefix };
  const intake = await startFloor('floor-intake.ts', {
    ...env,
    POOL_SIZE: String(SERVICE_POOL_SIZE),
  });
  const saga = await startFloor('floor-saga.ts', {
    ...env,
    KAFKA_BROKERS: stack.brokers.join(','),
    SCHEMA_REGISTRY_URL: stack.registryUrl,
  });
  const peers = await startPeers({
    brokers: stack.brokers,
    registryUrl: stack.registryUrl,
    topicPrefix,
    consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeInMs: 100 },
    logger: createLogger('silent'),
  });
  return {
    intake,
    saga,
    databaseUrl: database.url,
    async stop() {
      await peers.stop();
      await saga.stop();
      await intake.stop();
      await database.drop();
    },
  };
}

async function floorSagaRun(
  services: LocalServices,
  stack: BenchStack,
  orders: number,
  connections: number,
) {
  const floor = await startFloorStack(services, stack);
  const { intake, saga } = floor;
  const pool = new Pool({ connectionString: floor.databaseUrl, max: 1 });
  const confirmed = async () =>
    Number(
      (await pool.query(`SELECT count(*) AS n FROM orders WHERE status = 'CONFIRMED'`)).rows[0].n,
    );
  // Places `count` orders and waits until every order placed so far is CONFIRMED.
  let total = 0;
  const placeAndConfirm = async (count: number) => {
    let placed = 0;
    while (placed < count) {
      const result = await autocannon({
        url: `${intake.url}/api/v1/orders`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: ORDER_BODY,
        connections,
        amount: count - placed,
      });
      placed += result['2xx'];
    }
    total += placed;
    await waitFor(async () => (await confirmed()) >= total, {
      timeoutMs: 600_000,
      intervalMs: 200,
      message: `${total} floor orders CONFIRMED`,
    });
  };
  try {
    await placeAndConfirm(SAGA_WARM_UP_ORDERS);
    const cpu = () => processCpuSeconds(intake.pid) + processCpuSeconds(saga.pid);
    const before = cpu();
    const t0 = performance.now();
    await placeAndConfirm(orders);
    return {
      cpuMsPerSaga: ((cpu() - before) * 1000) / orders,
      sagasPerSecond: orders / ((performance.now() - t0) / 1000),
    };
  } finally {
    await pool.end();
    await floor.stop();
  }
}

/**
 * Sagas each side completes before its CPU is counted, and not reported: a fresh process spends
 * its first seconds compiling its hot code and connecting (the service's CPU per saga over its
 * first 2,000 orders was a third above its steady state). The same warm-up goes to both.
 */
export const SAGA_WARM_UP_ORDERS = 500;

export async function sagaCpuAgainstFloor(
  services: LocalServices,
  stack: BenchStack,
  orders: number,
  connections: number,
): Promise<SagaCpuAgainstFloor> {
  await sagaThroughput(stack, SAGA_WARM_UP_ORDERS, connections, 600_000);
  const service = await sagaThroughput(stack, orders, connections, 600_000);
  const floor = await floorSagaRun(services, stack, orders, connections);
  return {
    orders,
    serviceCpuMsPerSaga: service.serviceCpuMsPerSaga,
    serviceSagasPerSecond: service.sagasPerSecond,
    floorCpuMsPerSaga: floor.cpuMsPerSaga,
    floorSagasPerSecond: floor.sagasPerSecond,
    ratio: ratioOf(service.serviceCpuMsPerSaga, floor.cpuMsPerSaga),
  };
}

export function sagaFloorRows(figures: SagaCpuAgainstFloor) {
  return [
    {
      measure: `CPU per completed saga (intake included), ${figures.orders} orders after ${SAGA_WARM_UP_ORDERS} of warm-up each, instant peers`,
      result: `service ${round(figures.serviceCpuMsPerSaga, 2)} ms (${round(figures.serviceSagasPerSecond, 0)} sagas/s)`,
      baseline: `Node floor (floor-intake + floor-saga) ${round(figures.floorCpuMsPerSaga, 2)} ms (${round(figures.floorSagasPerSecond, 0)} sagas/s)`,
      ratio: `${round(figures.ratio, 2)}x`,
    },
  ];
}
