import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  uniqueTopicPrefix,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { insertPaymentRequests, inOffsetOrder } from '../../support/outbox-fixtures';

async function isLeader(service: RunningService): Promise<boolean> {
  const response = await fetch(`${service.admin.url}/ready`);
  expect(response.status).toBe(200);
  return (await readJson(response)).outboxRelayLeader;
}

describe('outbox relay: two instances on one database, one publishes at a time', () => {
  let database: TestDatabase;
  let config: Config;
  let sql: Client;
  let reader: TopicReader;
  const services: RunningService[] = [];
  let leader: RunningService;
  let standby: RunningService;

  /** Posts `count` orders round-robin to `targets`, plus 4 events each for `sequenced` new ids. */
  async function writeOrders(targets: RunningService[], count: number) {
    const orderIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const target = targets[i % targets.length]!;
      const response = await postOrder(target.http.url, aValidOrder({ customerId: `multi-${i}` }));
      expect(response.status).toBe(202);
      orderIds.push((await readJson(response)).id);
    }
    const sequenced = Array.from({ length: 10 }, () => randomUUID());
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
    const records = inOffsetOrder(reader.records);
    for (const orderId of sequenced) {
      const amounts = records
        .filter((record) => record.key === orderId)
        .map((record) => Number(record.value.amount));
      expect({ orderId, amounts: [...new Set(amounts)] }).toEqual({
        orderId,
        amounts: [1, 2, 3, 4],
      });
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      // The standby retries the leadership lock at this pace.
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    services.push(await startJoinedOrderService(config), await startJoinedOrderService(config));
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  afterAll(async () => {
    await reader?.stop();
    for (const service of services) await service.stop();
    await sql?.end();
    await database?.drop();
  });

  test('when two instances run, then exactly one of them reports itself relay leader', async () => {
    const leaders = await waitFor(
      async () => {
        const flags = await Promise.all(services.map(isLeader));
        return flags.includes(true) ? flags : undefined;
      },
      { message: 'a relay leader' },
    );

    expect(leaders.filter(Boolean)).toHaveLength(1);
    leader = services[leaders.indexOf(true)]!;
    standby = services[leaders.indexOf(false)]!;
  });

  test('when orders are posted to both instances, then all of them arrive, in order per order, and leadership stays put', async () => {
    const written = await writeOrders(services, 20);

    await expectAllOnKafka(written);
    expect(await isLeader(leader)).toBe(true);
    expect(await isLeader(standby)).toBe(false);
  });

  test('when the leader stops, then the standby takes over and publishes new orders', async () => {
    await leader.stop();
    services.splice(services.indexOf(leader), 1);

    // Written while the standby may not hold the lock yet: they wait for it, they are not lost.
    const duringTakeover = await writeOrders([standby], 5);
    await waitFor(() => isLeader(standby), { message: 'the standby to become leader' });
    const afterTakeover = await writeOrders([standby], 5);

    await expectAllOnKafka(duringTakeover);
    await expectAllOnKafka(afterTakeover);
  });
});
