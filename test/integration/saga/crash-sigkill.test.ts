import { randomInt } from 'node:crypto';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { Kafka, logLevel } from 'kafkajs';
import { CONSUMED_TOPICS, physicalTopic } from '../../../src/messaging/topics';
import type { RunningPeers } from '../../peer-simulators/start-peers';
import {
  aValidOrder,
  postOrder,
  testConfig,
  startJoinedOrderService,
  sharedStackEnv,
} from '../../support/order-service-harness';
import { spawnService, type ServiceProcess } from '../../support/service-process';
import { createServiceTopics } from '../../support/service-topics';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { sagaEventCounts, startSimulators, totalWithOutcome } from './saga-fixture';
import { freshDatabase } from '../../support/fixtures/fresh-database';

jest.setTimeout(120_000);

const ORDERS = 40;
const REPLIES = ORDERS * 2; // payment_successful + inventory_reserved per order

/** Resets the service's group to the earliest offsets, once the killed member has left it. */
async function rewindGroup(config: Config): Promise<void> {
  const admin = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        // Refused while the dead member still holds the group (until its session times out).
        for (const topic of CONSUMED_TOPICS) {
          await admin.resetOffsets({
            groupId: config.SAGA_CONSUMER_GROUP,
            topic: physicalTopic(config.KAFKA_TOPIC_PREFIX, topic),
            earliest: true,
          });
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'the group rewound after the kill' },
    );
  } finally {
    await admin.disconnect();
  }
}

const database = freshDatabase();

describe('crash: the service is SIGKILLed at a random point in the middle of the stream', () => {
  let env: Record<string, string>;
  let config: Config;
  let peers: RunningPeers;
  let reader: TopicReader;
  let killed: ServiceProcess | undefined;
  let restarted: RunningService | undefined;

  beforeAll(async () => {
    env = {
      ...sharedStackEnv(),
      DATABASE_URL: database.url,
      OUTBOX_RETRY_MIN_MS: '50',
      OUTBOX_RETRY_MAX_MS: '500',
    };
    config = testConfig(env);
    await createServiceTopics(config); // before the simulators subscribe
    // Each part is kept as soon as it runs, so afterAll stops it even if another failed.
    await Promise.all([
      // Replies 20-150 ms after each request, so the stream lasts long enough to be cut.
      startSimulators(config, {
        payment: { minLatencyMs: 20, maxLatencyMs: 150 },
        inventory: { minLatencyMs: 20, maxLatencyMs: 150 },
      }).then((started) => (peers = started)),
      readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
        physicalTopic(config.KAFKA_TOPIC_PREFIX, 'order_confirmed'),
      ]).then((started) => (reader = started)),
      spawnService(env).then((started) => (killed = started)),
    ]);
  });
  afterAll(async () => {
    await killed?.kill();
    await restarted?.stop();
    await Promise.allSettled([peers?.stop(), reader?.stop()]);
  });

  async function count(query: string): Promise<number> {
    return (await database.sql.query(query)).rows[0].n;
  }

  test('when the service is killed mid-stream and restarted on the same database and group, then every order is confirmed exactly once', async () => {
    // Arrange: orders flow through the child and the simulated peers.
    const service = killed as ServiceProcess;
    for (let n = 0; n < ORDERS; n++) {
      const response = await postOrder(service.url, aValidOrder({ customerId: `kill-${n}` }));
      expect(response.status).toBe(202);
    }

    // Act: SIGKILL at a random number of processed replies, then a new instance.
    const killAt = randomInt(1, REPLIES);
    await waitFor(
      async () => (await count('SELECT count(*)::int AS n FROM processed_events')) >= killAt,
      { intervalMs: 5, timeoutMs: 30_000, message: `${killAt} replies processed` },
    );
    await service.kill();
    const processedAtKill = await count('SELECT count(*)::int AS n FROM processed_events');
    process.stderr.write(
      `crash-sigkill: killed after ${processedAtKill}/${REPLIES} replies (aimed at ${killAt})\n`,
    );
    // Whether the kill fell between a reply's transaction and its offset commit is luck; make
    // the worst case certain: the group's offsets go back to the start, as if the process had
    // died before committing any. Every reply applied so far is delivered again.
    await rewindGroup(config);
    restarted = await startJoinedOrderService(config);

    // Assert: all confirmed; every effect exactly once.
    await waitFor(
      async () =>
        (await count(`SELECT count(*)::int AS n FROM orders WHERE status = 'CONFIRMED'`)) ===
          ORDERS &&
        (await count('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')) === 0,
      { timeoutMs: 60_000, message: `all ${ORDERS} orders CONFIRMED and published` },
    );
    expect(await count('SELECT count(*)::int AS n FROM orders')).toBe(ORDERS);
    const { rows: history } = await database.sql.query<{ order_id: string; steps: string }>(
      `SELECT order_id, string_agg(coalesce(from_status::text, '') || '>' || to_status, ',' ORDER BY id) AS steps
       FROM order_status_history GROUP BY order_id`,
    );
    expect(history).toHaveLength(ORDERS);
    for (const { steps } of history) {
      expect(steps).toBe('>PENDING,PENDING>INVENTORY_RESERVING,INVENTORY_RESERVING>CONFIRMED');
    }
    const { rows: outbox } = await database.sql.query<{ order_id: string; topics: string }>(
      `SELECT order_id, string_agg(topic, ',' ORDER BY id) AS topics FROM outbox GROUP BY order_id`,
    );
    expect(outbox).toHaveLength(ORDERS);
    for (const { topics } of outbox) {
      expect(topics).toBe('process_payment_request,reserve_inventory_request,order_confirmed');
    }
    const { rows: processed } = await database.sql.query<{
      topic: string;
      outcome: string;
      n: number;
    }>(
      'SELECT topic, outcome, count(*)::int AS n FROM processed_events GROUP BY topic, outcome ORDER BY topic',
    );
    expect(processed).toEqual([
      { topic: 'inventory_reserved', outcome: 'applied', n: ORDERS },
      { topic: 'payment_successful', outcome: 'applied', n: ORDERS },
    ]);
    // Peers may see a record twice (at-least-once), but never two different confirmations.
    await waitFor(() => new Set(reader.records.map((r) => r.key)).size === ORDERS, {
      timeoutMs: 20_000,
      message: `order_confirmed for all ${ORDERS} orders on Kafka`,
    });
    const confirmations = new Map<string, Set<string>>();
    for (const record of reader.records) {
      const ids = confirmations.get(record.key) ?? new Set<string>();
      confirmations.set(record.key, ids.add(record.value.eventId));
    }
    expect([...confirmations.values()].every((ids) => ids.size === 1)).toBe(true);
    // Every reply applied before the kill came again and was recognised as a duplicate.
    const duplicates = totalWithOutcome(await sagaEventCounts(restarted.admin.url), 'duplicate');
    expect(processedAtKill).toBeGreaterThan(0);
    expect(duplicates).toBeGreaterThanOrEqual(processedAtKill);
  });
});
