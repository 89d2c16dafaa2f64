import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { scrapeMetrics, samplesOf } from '../../support/metrics-scrape';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  uniqueTopicPrefix,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import {
  ALL_RELAY_SLOTS,
  insertPaymentRequests,
  firstDeliveredAmounts,
  inWriteOrder,
  orderIdInSlots,
} from '../../support/outbox-fixtures';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';

async function slotsOf(service: RunningService): Promise<number[]> {
  const response = await fetch(`${service.admin.url}/ready`);
  expect(response.status).toBe(200);
  return (await readJson(response)).outboxRelaySlots;
}

/** Rows this instance's relay has published, from its own metrics. */
async function rowsPublishedBy(service: RunningService): Promise<number> {
  const samples = await scrapeMetrics(service.admin.url);
  return samplesOf(samples, 'outbox_publish_batch_size_sum')[0]?.value ?? 0;
}

describe('outbox relay: two instances on one database share its slots', () => {
  let database: TestDatabase;
  let config: Config;
  let sql: Client;
  let reader: TopicReader;
  let proxy: TcpProxy;
  const services: RunningService[] = [];
  let direct: RunningService;
  let proxied: RunningService;

  /** Waits until the instances' slots are disjoint and together cover every slot. */
  async function expectSlotsShared(instances: RunningService[]): Promise<number[][]> {
    return waitFor(
      async () => {
        const held = await Promise.all(instances.map(slotsOf));
        const sizes = held.map((slots) => slots.length);
        const fair = Math.max(...sizes) - Math.min(...sizes) <= 1;
        const all = held.flat().sort((a, b) => a - b);
        return fair && all.join() === ALL_RELAY_SLOTS.join() ? held : undefined;
      },
      { timeoutMs: 20_000, message: 'every slot held once, shared fairly' },
    );
  }

  /**
   * Posts `count` orders round-robin to `targets`, then writes 4 events each, in sequence, for
   * 10 new orders whose rows belong to `slots`.
   */
  async function writeOrders(targets: RunningService[], count: number, slots = ALL_RELAY_SLOTS) {
    const orderIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const target = targets[i % targets.length]!;
      const response = await postOrder(target.http.url, aValidOrder({ customerId: `multi-${i}` }));
      expect(response.status).toBe(202);
      orderIds.push((await readJson(response)).id);
    }
    const sequenced: string[] = [];
    for (let i = 0; i < 10; i++) sequenced.push(await orderIdInSlots(sql, slots));
    for (let amount = 1; amount <= 4; amount++) {
      await insertPaymentRequests(
        sql,
        sequenced.map((orderId) => ({ orderId, amount })),
      );
    }
    return { orderIds, sequenced };
  }

  /** Waits until every outbox row is published and on Kafka; checks per-order write order. */
  async function expectAllOnKafka({
    orderIds,
    sequenced,
  }: {
    orderIds: string[];
    sequenced: string[];
  }) {
    await waitFor(
      async () => {
        const { rows } = await sql.query(
          'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
        );
        return rows[0].n === 0;
      },
      { timeoutMs: 20_000, message: 'every outbox row published' },
    );
    await waitFor(
      () => {
        const keys = new Set(reader.records.map((record) => record.key));
        return [...orderIds, ...sequenced].every((id) => keys.has(id));
      },
      { timeoutMs: 20_000, message: 'every order on Kafka' },
    );
    await waitFor(
      () =>
        sequenced.every((id) => reader.records.filter((record) => record.key === id).length >= 4),
      { timeoutMs: 20_000, message: 'every sequenced event on Kafka' },
    );
    // At least once: a takeover may send a row twice, but never a later event before an earlier.
    expect(firstDeliveredAmounts(reader.records, sequenced)).toEqual(inWriteOrder(sequenced, 4));
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      // Each relay rebalances its slots at this pace when idle.
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    const { hostname, port } = new URL(database.url);
    proxy = await startTcpProxy({ host: hostname, port: Number(port || 5432) });
    direct = await startJoinedOrderService(config);
    // Every connection of this one, the relay's lock connection among them, goes through the proxy.
    proxied = await startJoinedOrderService({
      ...config,
      DATABASE_URL: proxy.proxiedUrl(database.url),
    });
    services.push(direct, proxied);
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  // Every test starts from two connected instances sharing the slots, whatever ran before it.
  beforeEach(async () => {
    proxy.restore();
    if (!services.includes(proxied)) {
      proxied = await startJoinedOrderService({
        ...config,
        DATABASE_URL: proxy.proxiedUrl(database.url),
      });
      services.push(proxied);
    }
    await expectSlotsShared(services);
  });
  afterAll(async () => {
    await reader?.stop();
    for (const service of services) await service.stop();
    await proxy?.stop();
    await sql?.end();
    await database?.drop();
  });

  test('when two instances run, then each holds half of the slots (and says so in /ready and /metrics), and no slot is held by both', async () => {
    const [first, second] = await expectSlotsShared(services);

    expect(first).toHaveLength(ALL_RELAY_SLOTS.length / 2);
    expect(second).toHaveLength(ALL_RELAY_SLOTS.length / 2);
    for (const service of services) {
      const samples = await scrapeMetrics(service.admin.url);
      expect(samplesOf(samples, 'outbox_relay_slots_held')[0]?.value).toBe(
        ALL_RELAY_SLOTS.length / 2,
      );
    }
  });

  test('when orders are posted to both instances, then both publish, and every event leaves once, in order per order', async () => {
    const before = await Promise.all(services.map(rowsPublishedBy));

    const written = await writeOrders(services, 20);

    await expectAllOnKafka(written);
    const after = await Promise.all(services.map(rowsPublishedBy));
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    // One publisher per row, from the records themselves: no event id on Kafka twice (of this
    // test's orders: a takeover in another test may send its rows twice, as at least once allows).
    const ours = new Set([...written.orderIds, ...written.sequenced]);
    const eventIds = reader.records
      .filter((record) => ours.has(record.key))
      .map((record) => record.headers['event-id']);
    expect(eventIds.length).toBe(20 + 40);
    expect(new Set(eventIds).size).toBe(eventIds.length);
  });

  test('when an instance loses its database connection, then the other takes its slots over, and no event is lost or reordered', async () => {
    const [, lostSlots] = await expectSlotsShared(services);

    proxy.cut('reset');
    const written = await writeOrders([direct], 10, lostSlots);

    await waitFor(async () => (await slotsOf(direct)).length === ALL_RELAY_SLOTS.length, {
      timeoutMs: 20_000,
      message: 'the connected instance to take every slot',
    });
    await expectAllOnKafka(written);
  });

  test('when the cut instance reconnects, then the slots are shared again', async () => {
    proxy.cut('reset');
    await waitFor(async () => (await slotsOf(direct)).length === ALL_RELAY_SLOTS.length, {
      timeoutMs: 20_000,
      message: 'the connected instance to take every slot',
    });

    proxy.restore();

    await expectSlotsShared(services);
    const written = await writeOrders(services, 10);
    await expectAllOnKafka(written);
  });

  test('when an instance stops, then the other takes its slots over and publishes new orders', async () => {
    await proxied.stop();
    services.splice(services.indexOf(proxied), 1);

    // Written while the survivor may not hold every slot yet: they wait for it, not lost.
    const duringTakeover = await writeOrders([direct], 5);
    await waitFor(async () => (await slotsOf(direct)).length === ALL_RELAY_SLOTS.length, {
      message: 'the survivor to take every slot',
    });
    const afterTakeover = await writeOrders([direct], 5);

    await expectAllOnKafka(duringTakeover);
    await expectAllOnKafka(afterTakeover);
  });
});
