import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { SLOT_CLASS } from '../../../src/workers/relay-slots';
import { capturingLogger } from '../../support/capturing-logger';
import {
  startJoinedOrderService,
  testConfig,
  uniqueTopicPrefix,
} from '../../support/order-service-harness';
import {
  ALL_RELAY_SLOTS,
  firstDeliveredAmounts,
  inWriteOrder,
  insertPaymentRequests,
  orderIdInSlots,
  relaySlotsOf,
} from '../../support/outbox-fixtures';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { freshDatabase } from '../../support/fixtures/fresh-database';

jest.setTimeout(120_000);

const ORDERS = 150;
const EVENTS_PER_ORDER = 4;

const database = freshDatabase();

/**
 * The relay asks its lock connection before every batch whether it still holds its slots. Here
 * only that session is killed (pg_terminate_backend), mid-drain, while the relay's claim
 * connections live on: the relay must stop at its next batch, not drain on with slots another
 * instance may take, then rejoin at once.
 */
describe('outbox relay: its lock session ends in the middle of a drain', () => {
  let config: Config;
  let reader: TopicReader;
  const logs = capturingLogger();
  let draining: RunningService;
  let other: RunningService;

  beforeAll(async () => {
    config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      // Without the re-check, a relay drains on for up to a poll interval: a minute here.
      OUTBOX_POLL_INTERVAL_MS: '60000',
      OUTBOX_BATCH_SIZE: '5',
    });
    draining = await startJoinedOrderService(config, logs.logger);
    other = await startJoinedOrderService(config);
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
    await waitFor(
      async () =>
        (await relaySlotsOf(draining.admin.url)).length === ALL_RELAY_SLOTS.length / 2 &&
        (await relaySlotsOf(other.admin.url)).length === ALL_RELAY_SLOTS.length / 2,
      { message: 'the slots shared' },
    );
  });
  afterAll(async () => {
    await reader?.stop();
    await draining?.stop();
    await other?.stop();
  });

  test('when its lock session is terminated, then it stops at its next batch, rejoins, and nothing is lost or reordered', async () => {
    const slots = await relaySlotsOf(draining.admin.url);
    const orderIds: string[] = [];
    for (let i = 0; i < ORDERS; i++) orderIds.push(await orderIdInSlots(database.sql, slots));
    for (let amount = 1; amount <= EVENTS_PER_ORDER; amount++) {
      await insertPaymentRequests(
        database.sql,
        orderIds.map((orderId) => ({ orderId, amount })),
      );
    }
    const published = async () =>
      Number(
        (await database.sql.query('SELECT count(*) FROM outbox WHERE published_at IS NOT NULL'))
          .rows[0].count,
      );

    draining.outboxSignal.outboxWritten();
    await waitFor(async () => (await published()) > 0, {
      intervalMs: 5,
      message: 'the drain started',
    });
    const { rows } = await database.sql.query<{ pid: number }>(
      `SELECT DISTINCT l.pid FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.classid::bigint = $2 AND l.objid::int = $1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [slots[0], SLOT_CLASS],
    );
    expect(rows).toHaveLength(1);
    await database.sql.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    const atTermination = await published();

    await waitFor(
      () =>
        logs.entries.some((entry) =>
          /slots no longer held; stopped publishing/.test(entry.message),
        ),
      { timeoutMs: 10_000, message: 'the relay stopping on its lost slots' },
    );
    expect(atTermination).toBeLessThan(ORDERS * EVENTS_PER_ORDER); // it was cut mid-drain
    await waitFor(async () => (await published()) === ORDERS * EVENTS_PER_ORDER, {
      timeoutMs: 60_000,
      message: 'every row published after the rejoin',
    });
    expect((await relaySlotsOf(draining.admin.url)).length).toBeGreaterThan(0);
    await waitFor(() => reader.records.length >= ORDERS * EVENTS_PER_ORDER, {
      timeoutMs: 30_000,
      message: 'every row on Kafka',
    });
    expect(firstDeliveredAmounts(reader.records, orderIds)).toEqual(
      inWriteOrder(orderIds, EVENTS_PER_ORDER),
    );
  });
});
