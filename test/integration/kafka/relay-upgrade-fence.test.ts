import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { SINGLE_RELAY_LOCK } from '../../../src/workers/relay-slots';
import { capturingLogger } from '../../support/capturing-logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  startJoinedOrderService,
  testConfig,
  uniqueTopicPrefix,
} from '../../support/order-service-harness';
import {
  firstDeliveredAmounts,
  inWriteOrder,
  insertPaymentRequests,
  relaySlotsOf,
} from '../../support/outbox-fixtures';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(120_000);

const ORDERS = 40;
const EVENTS_PER_ORDER = 3;
const POLL_MS = 200;
const FENCE_WARNING = 'an older outbox relay holds the single relay lock; waiting for it to stop';

/**
 * A rolling upgrade: an instance of the relay from before slots still runs and holds the single
 * relay lock exclusively. The slotted relay must take no slot and publish nothing beside it, and
 * take over, in write order, once it stops.
 */
describe('outbox relay: fenced off by an older single-lock relay during a rolling upgrade', () => {
  let database: TestDatabase;
  let config: Config;
  let sql: Client;
  let oldRelay: Client;
  let reader: TopicReader;
  let service: RunningService;
  const logs = capturingLogger();

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      OUTBOX_POLL_INTERVAL_MS: String(POLL_MS),
    });
    sql = new Client({ connectionString: database.url });
    oldRelay = new Client({ connectionString: database.url });
    await Promise.all([sql.connect(), oldRelay.connect()]);
    // As the previous version's relay holds it: exclusively, for as long as it runs.
    await oldRelay.query('SELECT pg_advisory_lock($1)', [SINGLE_RELAY_LOCK]);
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
    service = await startJoinedOrderService(config, logs.logger);
  });
  afterAll(async () => {
    await reader?.stop();
    await service?.stop();
    await oldRelay?.end().catch(() => undefined);
    await sql?.end();
    await database?.drop();
  });

  const published = async () =>
    Number(
      (await sql.query('SELECT count(*) FROM outbox WHERE published_at IS NOT NULL')).rows[0].count,
    );

  test('when an older relay holds the single lock, then no slot is taken and nothing published until it stops, and then every row in write order', async () => {
    const orderIds = Array.from({ length: ORDERS }, () => randomUUID());
    for (let amount = 1; amount <= EVENTS_PER_ORDER; amount++) {
      await insertPaymentRequests(
        sql,
        orderIds.map((orderId) => ({ orderId, amount })),
      );
    }
    service.outboxSignal.outboxWritten();

    await waitFor(
      () => logs.entries.filter((entry) => entry.message === FENCE_WARNING).length >= 3,
      { timeoutMs: 20_000, message: 'the fence warning on several polls' },
    );
    expect(await relaySlotsOf(service.admin.url)).toEqual([]);
    expect(await published()).toBe(0);
    expect(reader.records).toHaveLength(0);

    await oldRelay.query('SELECT pg_advisory_unlock($1)', [SINGLE_RELAY_LOCK]);

    await waitFor(async () => (await published()) === ORDERS * EVENTS_PER_ORDER, {
      timeoutMs: 60_000,
      message: 'every row published once the older relay stopped',
    });
    expect((await relaySlotsOf(service.admin.url)).length).toBeGreaterThan(0);
    await waitFor(() => reader.records.length >= ORDERS * EVENTS_PER_ORDER, {
      timeoutMs: 30_000,
      message: 'every row on Kafka',
    });
    expect(firstDeliveredAmounts(reader.records, orderIds)).toEqual(
      inWriteOrder(orderIds, EVENTS_PER_ORDER),
    );
  });
});
