import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import { slotOf } from '../../../src/data-access/outbox-repository';
import { MEMBER_CLASS, SLOT_CLASS } from '../../../src/workers/relay-slots';
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
import { readTopics, type DecodedRecord, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(120_000);

const BATCH_SIZE = 5;
const ORDERS_PER_SLOT = 4;
const EVENTS_PER_ORDER = 3;

/** The backends of this database that `pid` keeps waiting on a lock. */
const BLOCKED_BY = `
  SELECT pid FROM pg_stat_activity
  WHERE datname = current_database() AND $1::int = ANY(pg_blocking_pids(pid))`;

/** Relay claims waiting on a lock held by a backend other than the test's (`$1`): on A's rows. */
const CLAIMS_WAITING_ON_A = `
  SELECT pid FROM pg_stat_activity
  WHERE datname = current_database() AND application_name = 'outbox-relay'
    AND cardinality(pg_blocking_pids(pid)) > 0 AND NOT $1::int = ANY(pg_blocking_pids(pid))`;

/** The backend holding relay slot `$1`'s advisory lock. */
const SLOT_HOLDER = `
  SELECT DISTINCT pid FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = $2
    AND objid::int = $1
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

async function pidsBlockedBy(sql: Client, pid: number): Promise<number[]> {
  return (await sql.query<{ pid: number }>(BLOCKED_BY, [pid])).rows.map((row) => row.pid);
}

/**
 * For each partition, the offset of the first record of `records` that `producerId` sent: the
 * broker's own order, which no clock can blur.
 */
function firstOffsets(records: DecodedRecord[], producerId: string): Map<number, bigint> {
  const first = new Map<number, bigint>();
  for (const record of records.filter((r) => r.producerId === producerId)) {
    const offset = BigInt(record.offset);
    const known = first.get(record.partition);
    if (known === undefined || offset < known) first.set(record.partition, offset);
  }
  return first;
}

/**
 * Two publishers on one slot, in a fixed order of events rather than a race. A is held mid-drain,
 * claiming its second batch while its first is in flight (a row of the second locked by the
 * test, so A holds the rows before it), its lock session is terminated while its claim
 * connections live on, and B takes A's slots and is already waiting for A's claimed rows before
 * A is let go. A is kept from rejoining
 * meanwhile (a waiting exclusive request on the member lock queues its join), so B never has to
 * give a slot back and any record of A's after B's first is one A published without its slot.
 */
describe('outbox relay: another instance takes the slots of one that lost its lock session', () => {
  let database: TestDatabase;
  let sql: Client;
  let holder: Client;
  let rejoinBlocker: Client;
  let reader: TopicReader;
  const logsA = capturingLogger();
  let a: RunningService;
  let b: RunningService;

  beforeAll(async () => {
    database = await createTestDatabase();
    const shared = {
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      OUTBOX_BATCH_SIZE: String(BATCH_SIZE),
      // The claims wait on the test's row lock and on each other: no statement gives up meanwhile.
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
    };
    // A never ends a round by time, so without the lock re-check it drains on to the end.
    const configA = testConfig({ ...shared, OUTBOX_POLL_INTERVAL_MS: '60000' });
    const configB = testConfig({
      ...shared,
      SAGA_CONSUMER_GROUP: configA.SAGA_CONSUMER_GROUP,
      // B looks for free slots every 100 ms: it takes A's as soon as they are free.
      OUTBOX_POLL_INTERVAL_MS: '100',
    });
    sql = new Client({ connectionString: database.url });
    holder = new Client({ connectionString: database.url });
    rejoinBlocker = new Client({ connectionString: database.url });
    await Promise.all([sql.connect(), holder.connect(), rejoinBlocker.connect()]);
    rejoinBlocker.on('error', () => undefined); // the test terminates its session
    a = await startJoinedOrderService(configA, logsA.logger);
    b = await startJoinedOrderService(configB);
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
    await holder?.end().catch(() => undefined);
    await rejoinBlocker?.end().catch(() => undefined);
    await a?.stop();
    await b?.stop();
    await sql?.end();
    await database?.drop();
  });

  test("when A's lock session is terminated mid-drain, then B takes its slots at once and A publishes none of their rows after B's first, in write order", async () => {
    const slotsA = await relaySlotsOf(a.admin.url);
    // One order in each instance's own slots first: the producer id on its record is that
    // instance's (and A's schemas are looked up before A is held).
    const orderOfA = await orderIdInSlots(sql, slotsA);
    const orderOfB = await orderIdInSlots(sql, await relaySlotsOf(b.admin.url));
    await insertPaymentRequests(sql, [
      { orderId: orderOfA, amount: 1 },
      { orderId: orderOfB, amount: 1 },
    ]);
    a.outboxSignal.outboxWritten();
    b.outboxSignal.outboxWritten();
    const first = await reader.waitForCount(2);
    const producerOfA = first.find((r) => r.key === orderOfA)!.producerId;
    const producerOfB = first.find((r) => r.key === orderOfB)!.producerId;
    expect(producerOfA).not.toEqual(producerOfB);
    const unpublished = async () =>
      (await sql.query('SELECT 1 FROM outbox WHERE published_at IS NULL')).rowCount;
    await waitFor(async () => (await unpublished()) === 0, { message: 'both marked published' });

    // A backlog in every slot of A's, written while A sleeps (it polls once a minute).
    const orderIds: string[] = [];
    for (const slot of slotsA) {
      for (let i = 0; i < ORDERS_PER_SLOT; i++) orderIds.push(await orderIdInSlots(sql, [slot]));
    }
    for (let amount = 1; amount <= EVENTS_PER_ORDER; amount++) {
      await insertPaymentRequests(
        sql,
        orderIds.map((orderId) => ({ orderId, amount })),
      );
    }
    const rowCount = orderIds.length * EVENTS_PER_ORDER;

    // The test locks the backlog's eighth row: A claims, confirms and sends its first batch,
    // and its claim of the next one takes the two rows before that row and waits.
    const { rows: eighth } = await sql.query<{ id: string }>(
      'SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id OFFSET $1 LIMIT 1',
      [BATCH_SIZE + 2],
    );
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM outbox WHERE id = $1 FOR UPDATE NOWAIT', [eighth[0]!.id]);
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
      .rows[0]!.pid;
    a.outboxSignal.outboxWritten();
    const [claimOfA] = await waitFor(
      async () => {
        const pids = await pidsBlockedBy(sql, holderPid);
        return pids.length > 0 ? pids : undefined;
      },
      { message: "A's second claim waiting on the test's row" },
    );

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

    // A's lock session is terminated; its claim connection lives on.
    const { rows: lockOfA } = await sql.query<{ pid: number }>(SLOT_HOLDER, [
      slotsA[0],
      SLOT_CLASS,
    ]);
    expect(lockOfA).toHaveLength(1);
    expect(lockOfA[0]!.pid).not.toEqual(claimOfA);
    await sql.query('SELECT pg_terminate_backend($1)', [lockOfA[0]!.pid]);
    await waitFor(async () => (await relaySlotsOf(b.admin.url)).length === ALL_RELAY_SLOTS.length, {
      message: "B taking A's slots",
    });
    // B's claim waits on the rows A claimed; only then is A let go.
    await waitFor(async () => (await sql.query(CLAIMS_WAITING_ON_A, [holderPid])).rowCount! > 0, {
      message: "B's claim waiting on A's claimed rows",
    });
    expect(await pidsBlockedBy(sql, holderPid)).toEqual([claimOfA]); // A's claim lives on
    expect(await unpublished()).toBe(rowCount); // the whole backlog still to publish
    await holder.query('COMMIT');

    const backlog = new Set(orderIds);
    await waitFor(() => reader.records.filter((r) => backlog.has(r.key)).length >= rowCount, {
      timeoutMs: 60_000,
      message: 'every row of the backlog on Kafka',
    });

    const { rows: slotRows } = await sql.query<{ id: string; slot: number }>(
      `SELECT id::text, ${slotOf('id')} AS slot FROM unnest($1::uuid[]) AS id`,
      [orderIds],
    );
    const slotOfOrder = new Map(slotRows.map((row) => [row.id, row.slot]));
    const records = inOffsetOrder(reader.records.filter((r) => backlog.has(r.key)));
    // Sent by A or B, nobody else (a replaced producer would show up here as a third id).
    expect(records.filter((r) => ![producerOfA, producerOfB].includes(r.producerId))).toEqual([]);
    const lateOfA: string[] = [];
    const notTakenOver: number[] = [];
    for (const slot of slotsA) {
      const ofSlot = records.filter((r) => slotOfOrder.get(r.key) === slot);
      const firstOfB = firstOffsets(ofSlot, producerOfB);
      if (firstOfB.size === 0) notTakenOver.push(slot);
      for (const r of ofSlot) {
        const bFirst = firstOfB.get(r.partition);
        if (r.producerId === producerOfA && bFirst !== undefined && BigInt(r.offset) > bFirst)
          lateOfA.push(`slot ${slot}: partition ${r.partition} offset ${r.offset}`);
      }
    }
    // B took every slot of A's over and published rows of each. (A relay that drains on without
    // its slots publishes everything itself: B, waiting on each next batch A claimed before
    // committing the last, never gets a row. This fails then.)
    expect(notTakenOver).toEqual([]);
    // In every partition, nothing of A's after B's first record of the slot.
    expect(lateOfA).toEqual([]);
    // A published only what it had claimed when it was cut: the batch in flight and the next.
    const ofA = records.filter((r) => r.producerId === producerOfA);
    expect(ofA.length).toBeLessThanOrEqual(2 * BATCH_SIZE);
    expect(firstDeliveredAmounts(records, orderIds)).toEqual(
      inWriteOrder(orderIds, EVENTS_PER_ORDER),
    );
    expect(
      logsA.entries.some((e) => /slots no longer held; stopped publishing/.test(e.message)),
    ).toBe(true);

    // Let A rejoin: the slots are shared again.
    await sql.query('SELECT pg_terminate_backend($1)', [blockerPid]);
    await rejoinBlocked;
    await waitFor(
      async () => (await relaySlotsOf(a.admin.url)).length === ALL_RELAY_SLOTS.length / 2,
      { timeoutMs: 20_000, message: 'A rejoining and taking its share again' },
    );
  });
});
