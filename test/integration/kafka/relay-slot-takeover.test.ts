import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import { slotOf } from '../../../src/data-access/outbox-repository';
import { SLOT_CLASS } from '../../../src/workers/relay-slots';
import { capturingLogger, type LogEntry } from '../../support/capturing-logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
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

jest.setTimeout(120_000);

const ORDERS = 150;
const EVENTS_PER_ORDER = 4;

/** When the instance that logged `entries` gave `slot` back (ms since the epoch). */
function givenBackTimes(entries: LogEntry[], slot: number): number[] {
  return entries
    .filter(
      (e) => e.message === 'outbox relay slots given back' && (e.slots as number[]).includes(slot),
    )
    .map((e) => Date.parse(e.timestamp as string));
}

/**
 * Two publishers on one slot: A's lock session is terminated mid-drain while A's claim
 * connections live on, and B, polling often, takes A's slots at once. The raw topic must show
 * that A published no row of a slot while B held it (from B's first record of it until B gave
 * it back), and every order's events in write order.
 */
describe('outbox relay: another instance takes the slots of one that lost its lock session', () => {
  let database: TestDatabase;
  let sql: Client;
  let reader: TopicReader;
  const logsA = capturingLogger();
  const logsB = capturingLogger();
  let a: RunningService;
  let b: RunningService;

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      OUTBOX_BATCH_SIZE: '5',
    };
    const configA = testConfig({ ...shared, OUTBOX_POLL_INTERVAL_MS: '60000' });
    const configB = testConfig({
      ...shared,
      KAFKA_TOPIC_PREFIX: configA.KAFKA_TOPIC_PREFIX,
      SAGA_CONSUMER_GROUP: configA.SAGA_CONSUMER_GROUP,
      // B looks for free slots every 100 ms: it takes A's as soon as they are free.
      OUTBOX_POLL_INTERVAL_MS: '100',
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    a = await startJoinedOrderService(configA, logsA.logger);
    b = await startJoinedOrderService(configB, logsB.logger);
    reader = await readTopics(configA.KAFKA_BROKERS, configA.SCHEMA_REGISTRY_URL, [
      `${configA.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
    await waitFor(
      async () =>
        (await relaySlotsOf(a.admin.url)).length === ALL_RELAY_SLOTS.length / 2 &&
        (await relaySlotsOf(b.admin.url)).length === ALL_RELAY_SLOTS.length / 2,
      { message: 'the slots shared' },
    );
  });
  afterAll(async () => {
    await reader?.stop();
    await a?.stop();
    await b?.stop();
    await sql?.end();
    await database?.drop();
  });

  test("when A's lock session is terminated mid-drain, then B takes its slots and A publishes none of their rows while B holds them, in write order", async () => {
    const slotsA = await relaySlotsOf(a.admin.url);
    // One order of B's own slots first: the producer id on its record is B's.
    const orderOfB = await orderIdInSlots(sql, await relaySlotsOf(b.admin.url));
    await insertPaymentRequests(sql, [{ orderId: orderOfB, amount: 1 }]);
    b.outboxSignal.outboxWritten();
    await waitFor(() => reader.records.some((r) => r.key === orderOfB), { message: "B's record" });
    const producerOfB = reader.records.find((r) => r.key === orderOfB)!.producerId;
    const orderIds: string[] = [];
    for (let i = 0; i < ORDERS; i++) orderIds.push(await orderIdInSlots(sql, slotsA));
    for (let amount = 1; amount <= EVENTS_PER_ORDER; amount++) {
      await insertPaymentRequests(
        sql,
        orderIds.map((orderId) => ({ orderId, amount })),
      );
    }
    const published = async () =>
      Number(
        (await sql.query('SELECT count(*) FROM outbox WHERE published_at IS NOT NULL')).rows[0]
          .count,
      );
    a.outboxSignal.outboxWritten();
    await waitFor(async () => (await published()) > 0, { intervalMs: 5, message: 'A draining' });

    const { rows } = await sql.query<{ pid: number }>(
      `SELECT DISTINCT pid FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = $2
         AND objid::int = $1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [slotsA[0], SLOT_CLASS],
    );
    expect(rows).toHaveLength(1);
    await sql.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    const atTermination = await published();

    await waitFor(async () => (await published()) === ORDERS * EVENTS_PER_ORDER + 1, {
      timeoutMs: 60_000,
      message: 'every row published',
    });
    expect(atTermination).toBeLessThan(ORDERS * EVENTS_PER_ORDER); // cut mid-drain (B's one row aside)
    await waitFor(() => reader.records.length > ORDERS * EVENTS_PER_ORDER, {
      timeoutMs: 30_000,
      message: 'every row on Kafka',
    });

    // Who sent each record (its producer id), and which slot it belongs to (asked of Postgres).
    const { rows: slotRows } = await sql.query<{ id: string; slot: number }>(
      `SELECT id::text, ${slotOf('id')} AS slot FROM unnest($1::uuid[]) AS id`,
      [orderIds],
    );
    const slotOfOrder = new Map(slotRows.map((row) => [row.id, row.slot]));
    const records = reader.records.filter((r) => slotOfOrder.has(r.key));
    // A drained alone before the cut: the first of these records is A's.
    const producerOfA = records[0]!.producerId;
    let tookOver = 0;
    const violations: string[] = [];
    for (const slot of slotsA) {
      const ofSlot = records.filter((r) => slotOfOrder.get(r.key) === slot);
      const fromB = ofSlot.filter((r) => r.producerId === producerOfB);
      if (fromB.length === 0) continue;
      tookOver += 1;
      const bFirst = Math.min(...fromB.map((r) => Number(r.timestamp)));
      const bGaveBack = Math.min(
        ...givenBackTimes(logsB.entries, slot).filter((at) => at >= bFirst),
        Infinity,
      );
      // In each partition, the broker's own order: nothing of A's after B's first record,
      // until B gave the slot back (A may take it again then).
      const firstOfB = new Map<number, bigint>();
      for (const r of fromB) {
        const offset = BigInt(r.offset);
        const first = firstOfB.get(r.partition);
        if (first === undefined || offset < first) firstOfB.set(r.partition, offset);
      }
      const late = ofSlot.filter((r) => {
        const first = firstOfB.get(r.partition);
        return (
          r.producerId === producerOfA &&
          first !== undefined &&
          BigInt(r.offset) > first &&
          Number(r.timestamp) < bGaveBack
        );
      });
      if (late.length > 0)
        violations.push(`slot ${slot}: ${late.length} rows from A while B held it`);
    }
    // B published rows of A's slots: it took them at once. (A relay that drains on without its
    // slots keeps B, which holds them, from ever getting a row: this fails then.)
    expect(tookOver).toBeGreaterThan(0);
    // Sent by A or B, nobody else (a replaced producer would show up here as a third id).
    expect(new Set(records.map((r) => r.producerId))).toEqual(new Set([producerOfA, producerOfB]));
    expect(violations).toEqual([]);
    expect(firstDeliveredAmounts(reader.records, orderIds)).toEqual(
      inWriteOrder(orderIds, EVENTS_PER_ORDER),
    );
  });
});
