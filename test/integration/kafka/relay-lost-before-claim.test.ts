import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import { createMessaging, type Messaging } from '../../../src/messaging/messaging-factory';
import type { GuardedProducer } from '../../../src/messaging/guarded-producer';
import { createOutboxRelay, type OutboxRelay } from '../../../src/workers/outbox-relay';
import type { OutboxSignal } from '../../../src/workers/outbox-signal';
import { MEMBER_CLASS, SLOT_CLASS } from '../../../src/workers/relay-slots';
import { serviceOptions, type Config } from '../../../src/config';
import type { Logger } from '../../../src/shared/logger';
import { capturingLogger } from '../../support/capturing-logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  startJoinedOrderService,
  testConfig,
  uniqueTopicPrefix,
} from '../../support/order-service-harness';
import {
  ALL_RELAY_SLOTS,
  firstDeliveredAmounts,
  inOffsetOrder,
  inWriteOrder,
  insertPaymentRequests,
  orderIdInSlots,
  relaySlotsOf,
} from '../../support/outbox-fixtures';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(120_000);

const ORDERS = 20;

/** A relay of the test's own (instance A): its wake-up and its wait for the producer in hand. */
function startRelayA(config: Config, messaging: Messaging, logger: Logger) {
  let wake = () => {};
  const signal: OutboxSignal = {
    outboxWritten: () => wake(),
    connect: (relay) => (wake = () => relay.wake()),
  };
  // Where the relay waits while its breaker is open: here, until the test opens the gate.
  let openGate = () => {};
  let gate = Promise.resolve();
  let reachedGate = () => {};
  const producer: GuardedProducer = {
    ...messaging.producer,
    async waitUntilCallable(abort) {
      reachedGate();
      await gate;
      await messaging.producer.waitUntilCallable(abort);
    },
  };
  // The service's own relay options, as application.ts builds them from the config.
  const options = serviceOptions(config);
  const relay = createOutboxRelay(
    { producer, encoder: messaging.encoder, signal, logger },
    {
      database: options.postgres.connection,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      ...options.outbox.relay,
    },
  );
  relay.start();
  return {
    relay,
    wake: () => wake(),
    /** The next wait for the producer holds until `open()`; resolves once the relay is in it. */
    closeGate(): Promise<void> {
      gate = new Promise<void>((resolve) => (openGate = resolve));
      return new Promise<void>((resolve) => (reachedGate = resolve));
    },
    openGate: () => openGate(),
  };
}

/**
 * A relay confirms its slots when it rebalances, then waits for its producer (an open breaker
 * holds it there for up to the reset timeout), then claims. If its lock session ends in between,
 * another instance may take a slot and publish rows of it meanwhile; the relay must not then
 * publish the next rows of that slot, which it claims only afterwards. Here A is held at that
 * wait (the breaker's gate, in the test's hand), its lock session is terminated, B takes A's
 * slots and publishes the first half of a backlog; then the second half is written and A let go.
 */
describe('outbox relay: its lock session ends between its rebalance and its claim', () => {
  let database: TestDatabase;
  let sql: Client;
  let rejoinBlocker: Client;
  let reader: TopicReader;
  const logsA = capturingLogger();
  let messagingA: Messaging;
  let a: ReturnType<typeof startRelayA>;
  let relayA: OutboxRelay | undefined;
  let b: RunningService;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      OUTBOX_BATCH_SIZE: '5',
      // Both publish only when the test wakes them: nothing here depends on a poll's timing.
      OUTBOX_POLL_INTERVAL_MS: '60000',
    });
    sql = new Client({ connectionString: database.url });
    rejoinBlocker = new Client({ connectionString: database.url });
    await Promise.all([sql.connect(), rejoinBlocker.connect()]);
    rejoinBlocker.on('error', () => undefined); // the test terminates its session
    b = await startJoinedOrderService(config);
    messagingA = createMessaging(serviceOptions(config).messaging, logsA.logger);
    a = startRelayA(config, messagingA, logsA.logger);
    relayA = a.relay;
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
    await waitFor(
      async () =>
        relayA!.slots().length === ALL_RELAY_SLOTS.length / 2 &&
        (await relaySlotsOf(b.admin.url)).length === ALL_RELAY_SLOTS.length / 2,
      { message: 'the slots shared' },
    );
  });
  afterAll(async () => {
    a?.openGate();
    await reader?.stop();
    await rejoinBlocker?.end().catch(() => undefined);
    await relayA?.stop();
    await messagingA?.producer.disconnect();
    await b?.stop();
    await sql?.end();
    await database?.drop();
  });

  test("when A's slots are taken and published from while it waits to claim, then A publishes none of their rows, in write order", async () => {
    const slotsA = [...a.relay.slots()];
    // One order of each instance's first: the producer id on its record is that instance's.
    const orderOfA = await orderIdInSlots(sql, slotsA);
    const orderOfB = await orderIdInSlots(sql, await relaySlotsOf(b.admin.url));
    await insertPaymentRequests(sql, [
      { orderId: orderOfA, amount: 1 },
      { orderId: orderOfB, amount: 1 },
    ]);
    a.wake();
    b.outboxSignal.outboxWritten();
    const first = await reader.waitForCount(2);
    const producerOfA = first.find((r) => r.key === orderOfA)!.producerId;
    const producerOfB = first.find((r) => r.key === orderOfB)!.producerId;
    expect(producerOfA).not.toEqual(producerOfB);
    const unpublished = async () =>
      (await sql.query('SELECT 1 FROM outbox WHERE published_at IS NULL')).rowCount;
    await waitFor(async () => (await unpublished()) === 0, { message: 'both marked published' });

    // A rebalances (its slots confirmed), then waits at the gate, before its claim.
    const orderIds: string[] = [];
    for (let i = 0; i < ORDERS; i++) orderIds.push(await orderIdInSlots(sql, slotsA));
    await insertPaymentRequests(
      sql,
      orderIds.map((orderId) => ({ orderId, amount: 1 })),
    );
    const atGate = a.closeGate();
    a.wake();
    await atGate;
    expect(await unpublished()).toBe(ORDERS);

    // A may not rejoin until the end: its join queues behind this exclusive request.
    const blockerPid = (
      await rejoinBlocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    ).rows[0]!.pid;
    const rejoinBlocked = rejoinBlocker
      .query(`SELECT pg_advisory_lock(${MEMBER_CLASS}, 0)`)
      .catch(() => undefined);
    await waitFor(
      async () =>
        (
          await sql.query(
            `SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND NOT granted`,
            [blockerPid],
          )
        ).rowCount === 1,
      { message: 'the rejoin blocker waiting' },
    );

    // A's lock session ends; B takes A's slots and publishes the first half.
    const { rows: lockOfA } = await sql.query<{ pid: number }>(
      `SELECT DISTINCT pid FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = $2
         AND objid::int = $1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [slotsA[0], SLOT_CLASS],
    );
    expect(lockOfA).toHaveLength(1);
    await sql.query('SELECT pg_terminate_backend($1)', [lockOfA[0]!.pid]);
    // The backend ends, and lets its locks go, after pg_terminate_backend has returned.
    await waitFor(
      async () =>
        (await sql.query('SELECT 1 FROM pg_locks WHERE pid = $1', [lockOfA[0]!.pid])).rowCount ===
        0,
      { message: "A's lock session gone" },
    );
    b.outboxSignal.outboxWritten();
    await waitFor(async () => (await unpublished()) === 0, {
      timeoutMs: 30_000,
      message: 'B publishing the first half',
    });
    expect(await relaySlotsOf(b.admin.url)).toEqual(ALL_RELAY_SLOTS);

    // The second half, of the same orders (so the same partitions); then A is let go.
    await insertPaymentRequests(
      sql,
      orderIds.map((orderId) => ({ orderId, amount: 2 })),
    );
    a.openGate();
    await waitFor(() => logsA.entries.some((e) => /slots no longer held/.test(e.message)), {
      message: 'A finding its slots gone',
    });
    b.outboxSignal.outboxWritten();
    await waitFor(async () => (await unpublished()) === 0, {
      timeoutMs: 30_000,
      message: 'every row published',
    });
    const backlog = new Set(orderIds);
    await waitFor(() => reader.records.filter((r) => backlog.has(r.key)).length >= 2 * ORDERS, {
      timeoutMs: 30_000,
      message: 'every row of the backlog on Kafka',
    });

    const records = inOffsetOrder(reader.records.filter((r) => backlog.has(r.key)));
    expect(records.filter((r) => ![producerOfA, producerOfB].includes(r.producerId))).toEqual([]);
    // B published first (the first half); A, which claimed after that, none of their rows.
    const lateOfA = records
      .filter((r) => r.producerId === producerOfA)
      .map((r) => `${r.key} amount ${r.value.amount} at ${r.partition}/${r.offset}`);
    expect(lateOfA).toEqual([]);
    expect(firstDeliveredAmounts(records, orderIds)).toEqual(inWriteOrder(orderIds, 2));

    await sql.query('SELECT pg_terminate_backend($1)', [blockerPid]);
    await rejoinBlocked;
    await waitFor(() => a.relay.slots().length === ALL_RELAY_SLOTS.length / 2, {
      timeoutMs: 20_000,
      message: 'A rejoining and taking its share again',
    });
  });
});
