import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  aValidOrder,
  postOrder,
  readJson,
  startJoinedOrderService,
  testConfig,
} from '../../support/order-service-harness';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import {
  ALL_RELAY_SLOTS,
  insertPaymentRequests,
  orderIdInSlots,
  relaySlotsOf,
} from '../../support/outbox-fixtures';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';

/** Far beyond WAKE_BOUND_MS: a row that leaves within the bound was woken, not polled. */
const POLL_INTERVAL_MS = 60_000;
const WAKE_BOUND_MS = 3_000;

describe('outbox relay wake-up: a signalled write leaves at once, with the poll a minute away', () => {
  let database: TestDatabase;
  let config: Config;
  let sql: Client;
  let reader: TopicReader;
  let peers: PeerEvents;
  const services: RunningService[] = [];
  let publisher: RunningService;
  let other: RunningService;

  const onKafka = (orderId: string, topic = 'process_payment_request') =>
    reader.records.some((record) => record.key === orderId && record.topic.endsWith(topic));

  /**
   * A row written straight into the outbox, as a store's commit would, without any signal, for
   * an order in `publisher`'s slots: another instance's relay never publishes it.
   */
  async function writeRow(): Promise<string> {
    const orderId = await orderIdInSlots(sql, await relaySlotsOf(publisher.admin.url));
    await insertPaymentRequests(sql, [{ orderId, amount: 1 }]);
    return orderId;
  }

  /**
   * Each instance publishes half of the slots once they have rebalanced: joining wakes the
   * other at once, not at its minute-long poll.
   */
  async function slotsShared(): Promise<void> {
    await waitFor(
      async () => {
        const held = await Promise.all(services.map((service) => relaySlotsOf(service.admin.url)));
        return held.every((slots) => slots.length === ALL_RELAY_SLOTS.length / 2);
      },
      { message: 'the slots shared' },
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    config = testConfig({
      DATABASE_URL: database.url,
      OUTBOX_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    services.push(await startJoinedOrderService(config), await startJoinedOrderService(config));
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
      `${config.KAFKA_TOPIC_PREFIX}reserve_inventory_request`,
    ]);
    peers = await startPeerEvents(
      config.KAFKA_BROKERS,
      config.SCHEMA_REGISTRY_URL,
      config.KAFKA_TOPIC_PREFIX,
    );
    await slotsShared();
    [publisher, other] = services as [RunningService, RunningService];
  });
  // The stop test stops `other`: a test after it starts from two instances all the same.
  beforeEach(async () => {
    if (services.includes(other)) return;
    other = await startJoinedOrderService(config);
    services.push(other);
    await slotsShared();
  }, 40_000);
  afterAll(async () => {
    await peers?.stop();
    await reader?.stop();
    for (const service of services) await service.stop();
    await sql?.end();
    await database?.drop();
  });

  test('when a write is not signalled, then it waits for the poll: it is not published within the bound', async () => {
    const orderId = await writeRow();

    await new Promise((resolve) => setTimeout(resolve, WAKE_BOUND_MS));

    // The control for the tests below: without a signal, nothing moves for a minute.
    expect(onKafka(orderId)).toBe(false);
    publisher.outboxSignal.outboxWritten();
    await waitFor(() => onKafka(orderId), { timeoutMs: WAKE_BOUND_MS, message: 'the row' });
  });

  test('when the publishing instance signals its own write, then its relay publishes it within the bound', async () => {
    const orderId = await writeRow();

    publisher.outboxSignal.outboxWritten();

    await waitFor(() => onKafka(orderId), {
      timeoutMs: WAKE_BOUND_MS,
      message: 'the row signalled in process',
    });
  });

  test('when another instance signals its write, then its pg_notify wakes the publishing relay within the bound', async () => {
    const orderId = await writeRow();

    other.outboxSignal.outboxWritten();

    await waitFor(() => onKafka(orderId), {
      timeoutMs: WAKE_BOUND_MS,
      message: 'the row signalled by another instance',
    });
  });

  test.each([
    ['the publishing instance', () => publisher],
    ['the other instance', () => other],
  ])(
    "when an order is placed on %s, then intake's commit wakes the relay and its payment request leaves within the bound",
    async (_, instance) => {
      const response = await postOrder(instance().http.url, aValidOrder());
      expect(response.status).toBe(202);
      const { id } = await readJson(response);

      await waitFor(() => onKafka(id), {
        timeoutMs: WAKE_BOUND_MS,
        message: "the order's payment request",
      });
    },
  );

  test('when the saga consumer commits a transition, then its commit wakes the relay and the next request leaves within the bound', async () => {
    const order = await readJson(await postOrder(publisher.http.url, aValidOrder()));
    await waitFor(() => onKafka(order.id), { message: "the order's payment request" });

    await peers.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-wake',
      amount: order.totalAmount,
    });
    // Timed from the saga's commit, not from the reply: the consumer's pace is not at issue.
    await waitFor(
      async () =>
        (
          await sql.query('SELECT 1 FROM outbox WHERE order_id = $1 AND topic = $2', [
            order.id,
            'reserve_inventory_request',
          ])
        ).rowCount === 1,
      { timeoutMs: 20_000, message: 'the payment applied' },
    );

    await waitFor(() => onKafka(order.id, 'reserve_inventory_request'), {
      timeoutMs: WAKE_BOUND_MS,
      message: "the order's inventory request",
    });
  }, 40_000);

  test('when an instance stops, then the other takes its slots over within the bound, not at its poll', async () => {
    await other.stop();
    services.splice(services.indexOf(other), 1);

    await waitFor(
      async () => (await relaySlotsOf(publisher.admin.url)).length === ALL_RELAY_SLOTS.length,
      {
        timeoutMs: WAKE_BOUND_MS,
        message: 'the remaining instance holding every slot',
      },
    );
    const orderId = await writeRow();
    publisher.outboxSignal.outboxWritten();
    await waitFor(() => onKafka(orderId), { timeoutMs: WAKE_BOUND_MS, message: 'the row' });
  });
});
