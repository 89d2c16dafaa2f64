import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';
import type { Config } from '../../../src/config';
import { RELAY_SLOTS } from '../../../src/data-access/outbox-repository';
import { CONSUMED_TOPICS } from '../../../src/messaging/topics';
import type { RunningPeers } from '../../peer-simulators/start-peers';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { relaySlotsOf } from '../../support/outbox-fixtures';
import { sharedKafkaStack } from '../../support/kafka-stack';
import {
  aValidOrder,
  postOrder,
  testConfig,
  sharedStackEnv,
} from '../../support/order-service-harness';
import { spawnService, type ServiceProcess } from '../../support/service-process';
import { createServiceTopics, TEST_PARTITIONS } from '../../support/service-topics';
import { waitFor } from '../../support/wait-for';
import { startSimulators } from './saga-fixture';

jest.setTimeout(150_000);

const ORDERS = 60;
const CONSUMED_PARTITIONS = CONSUMED_TOPICS.length * TEST_PARTITIONS;

/**
 * Which member of the group holds how many partitions of the consumed topics, once the group is
 * Stable (mid-rebalance, members are listed without their assignment).
 */
async function assignment(admin: Admin, groupId: string): Promise<Map<string, number> | undefined> {
  const { groups } = await admin.describeGroups([groupId]);
  if (groups[0]?.state !== 'Stable') return undefined;
  const held = new Map<string, number>();
  for (const member of groups[0]?.members ?? []) {
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    const partitions = Object.values(decoded?.assignment ?? {}).flat().length;
    held.set(member.clientHost + member.memberId, partitions);
  }
  return held;
}

/**
 * A real rebalance: two instances of the service (separate processes, through start.ts) share the
 * consumer group. One is SIGKILLed while replies flow; the broker moves its partitions to the
 * other once its session times out, and the survivor finishes every saga with no effect twice.
 * Needs DescribeGroups, which only a real broker has.
 */
const realBrokerOnly = sharedKafkaStack().flavour === 'real' ? describe : describe.skip;

realBrokerOnly('rebalance: one of two instances is SIGKILLed while replies flow', () => {
  // Its outbox slots move too: the survivor publishes what the killed instance would have.
  let database: TestDatabase;
  let config: Config;
  let sql: Client;
  let admin: Admin;
  let peers: RunningPeers | undefined;
  const instances: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      ...sharedStackEnv(),
      DATABASE_URL: database.url,
      OUTBOX_RETRY_MIN_MS: '50',
      OUTBOX_RETRY_MAX_MS: '500',
      LOG_LEVEL: 'warn',
    };
    config = testConfig(env);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    admin = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await createServiceTopics(config);
    for (const name of ['a', 'b'])
      instances.push(await spawnService({ ...env, KAFKA_CLIENT_ID: name }));
    // Replies 30-200 ms after each request: the stream is still flowing when one instance dies.
    peers = await startSimulators(config, {
      payment: { minLatencyMs: 30, maxLatencyMs: 200 },
      inventory: { minLatencyMs: 30, maxLatencyMs: 200 },
    });
  });
  afterAll(async () => {
    await Promise.allSettled(instances.map((instance) => instance.kill()));
    await peers?.stop();
    await admin?.disconnect();
    await sql?.end();
    await database?.drop();
  });

  async function count(query: string): Promise<number> {
    return (await sql.query(query)).rows[0].n;
  }

  test('when one instance is killed, then its partitions and outbox slots move to the other and every order is confirmed exactly once', async () => {
    // Arrange: both instances hold part of the consumed partitions.
    const groupId = config.SAGA_CONSUMER_GROUP;
    const before = await waitFor(
      async () => {
        const held = await assignment(admin, groupId);
        return held?.size === 2 ? held : undefined;
      },
      { timeoutMs: 30_000, message: 'both instances holding partitions' },
    );
    expect([...before.values()].every((n) => n > 0)).toBe(true);
    expect([...before.values()].reduce((sum, n) => sum + n, 0)).toBe(CONSUMED_PARTITIONS);
    await waitFor(
      async () => {
        const held = await Promise.all(
          instances.map((instance) => relaySlotsOf(instance.adminUrl)),
        );
        return held.every((slots) => slots.length === RELAY_SLOTS / 2);
      },
      { timeoutMs: 30_000, message: 'both instances publishing half of the outbox slots' },
    );

    // Act: orders through both instances; kill one while replies are being applied.
    for (let n = 0; n < ORDERS; n++) {
      const instance = instances[n % 2] as ServiceProcess;
      const response = await postOrder(instance.url, aValidOrder({ customerId: `rebalance-${n}` }));
      expect(response.status).toBe(202);
    }
    await waitFor(
      async () => (await count('SELECT count(*)::int AS n FROM processed_events')) >= ORDERS / 2,
      { intervalMs: 10, timeoutMs: 30_000, message: 'replies being applied' },
    );
    await (instances[0] as ServiceProcess).kill();
    const atKill = await count('SELECT count(*)::int AS n FROM processed_events');

    // Assert: the survivor holds every partition, and every saga completed exactly once.
    const after = await waitFor(
      async () => {
        const held = await assignment(admin, groupId);
        return held?.size === 1 ? held : undefined;
      },
      { timeoutMs: 30_000, message: 'the group rebalanced onto the survivor' },
    );
    expect([...after.values()]).toEqual([CONSUMED_PARTITIONS]);
    await waitFor(
      async () =>
        (await relaySlotsOf((instances[1] as ServiceProcess).adminUrl)).length === RELAY_SLOTS,
      { timeoutMs: 30_000, message: 'the survivor publishing every outbox slot' },
    );
    await waitFor(
      async () =>
        (await count(`SELECT count(*)::int AS n FROM orders WHERE status = 'CONFIRMED'`)) ===
          ORDERS &&
        (await count('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')) === 0,
      { timeoutMs: 60_000, message: `all ${ORDERS} orders CONFIRMED and published` },
    );
    expect(atKill).toBeLessThan(ORDERS * 2); // the kill did land mid-stream
    const { rows: history } = await sql.query<{ steps: string }>(
      `SELECT string_agg(coalesce(from_status::text, '') || '>' || to_status, ',' ORDER BY id) AS steps
       FROM order_status_history GROUP BY order_id`,
    );
    expect(history).toHaveLength(ORDERS);
    for (const { steps } of history) {
      expect(steps).toBe('>PENDING,PENDING>INVENTORY_RESERVING,INVENTORY_RESERVING>CONFIRMED');
    }
    const { rows: outbox } = await sql.query<{ topics: string }>(
      `SELECT string_agg(topic, ',' ORDER BY id) AS topics FROM outbox GROUP BY order_id`,
    );
    expect(outbox).toHaveLength(ORDERS);
    for (const { topics } of outbox) {
      expect(topics).toBe('process_payment_request,reserve_inventory_request,order_confirmed');
    }
    const { rows: processed } = await sql.query(
      'SELECT topic, outcome, count(*)::int AS n FROM processed_events GROUP BY topic, outcome ORDER BY topic',
    );
    expect(processed).toEqual([
      { topic: 'inventory_reserved', outcome: 'applied', n: ORDERS },
      { topic: 'payment_successful', outcome: 'applied', n: ORDERS },
    ]);
  });
});
