import { Client } from 'pg';
import {
  createOutboxRepository,
  ROW_OVERHEAD_BYTES,
  slotOf,
  type OutboxRepository,
} from '../../../src/data-access/outbox-repository';
import { capturingLogger } from '../../support/capturing-logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import {
  ALL_RELAY_SLOTS,
  insertPaymentRequests,
  orderIdInSlots,
} from '../../support/outbox-fixtures';

const EVEN = ALL_RELAY_SLOTS.filter((slot) => slot % 2 === 0);
const ODD = ALL_RELAY_SLOTS.filter((slot) => slot % 2 === 1);

describe('outbox claims by relay slot', () => {
  let database: TestDatabase;
  let sql: Client;
  let outbox: OutboxRepository;
  const claim = (slots: readonly number[]) =>
    outbox.claimBatch({ limit: 1_000, maxBytes: 1 << 20, slots, skipIds: [], skipOrders: [] });

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    outbox = createOutboxRepository({
      url: database.url,
      poolSize: 3,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 3_000,
      logger: capturingLogger().logger,
    });
    const orders: string[] = [];
    for (const slots of [EVEN, ODD]) {
      for (let i = 0; i < slots.length; i++) orders.push(await orderIdInSlots(sql, slots));
    }
    // Two events per order, in sequence.
    for (const amount of [1, 2]) {
      await insertPaymentRequests(
        sql,
        orders.map((orderId) => ({ orderId, amount })),
      );
    }
  });
  afterAll(async () => {
    await outbox?.close();
    await sql?.end();
    await database?.drop();
  });

  async function slotsOfRows(orderIds: string[]): Promise<number[]> {
    const { rows } = await sql.query<{ slot: number }>(
      `SELECT DISTINCT ${slotOf('id')} AS slot FROM unnest($1::uuid[]) AS id ORDER BY 1`,
      [orderIds],
    );
    return rows.map((row) => row.slot);
  }

  test('when a relay claims some slots, then it gets every unpublished row of those slots and no other, in write order', async () => {
    const even = await claim(EVEN);
    try {
      const orderIds = even.rows.map((row) => row.orderId);
      expect(even.rows).toHaveLength(EVEN.length * 2);
      expect((await slotsOfRows(orderIds)).every((slot) => EVEN.includes(slot))).toBe(true);
      const ids = even.rows.map((row) => BigInt(row.id));
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    } finally {
      await even.release();
    }
  });

  test('when the rows waiting weigh more than the byte bound, then a claim takes the oldest that fit (one at least) and says more are waiting', async () => {
    const bytesOf = async (ids: string[]) =>
      (
        await sql.query<{ n: number }>(
          `SELECT sum(octet_length(payload::text) + octet_length(headers::text) + ${ROW_OVERHEAD_BYTES})::int AS n
           FROM outbox WHERE id = ANY($1::bigint[])`,
          [ids],
        )
      ).rows[0]?.n ?? 0;
    const all = await claim(EVEN);
    const everyRow = all.rows.map((row) => row.id);
    const rowBytes = (await bytesOf(everyRow.slice(0, 1))) + 1;
    await all.release();
    expect(all.bounded).toBe(false);

    const three = await outbox.claimBatch({
      limit: 1_000,
      maxBytes: rowBytes * 3,
      slots: EVEN,
      skipIds: [],
      skipOrders: [],
    });
    // Smaller than any row: the oldest row still goes, or a big row would never leave.
    const one = await outbox.claimBatch({
      limit: 1_000,
      maxBytes: 1,
      slots: ODD,
      skipIds: [],
      skipOrders: [],
    });
    try {
      expect(three.rows.map((row) => row.id)).toEqual(everyRow.slice(0, 3));
      expect(three.bounded).toBe(true);
      expect(await bytesOf(three.rows.map((row) => row.id))).toBeLessThanOrEqual(rowBytes * 3);
      expect(one.rows).toHaveLength(1);
      expect(one.bounded).toBe(true);
    } finally {
      await Promise.all([three.release(), one.release()]);
    }
  });

  test("when two relays claim disjoint slots at once, then neither waits for the other's claim", async () => {
    const even = await claim(EVEN);
    try {
      // Held open, as while Kafka answers. Without the slot filter this claim would wait on the
      // even claim's row locks until the statement timeout.
      const odd = await claim(ODD);
      try {
        expect(odd.rows).toHaveLength(ODD.length * 2);
        const orderIds = odd.rows.map((row) => row.orderId);
        expect((await slotsOfRows(orderIds)).every((slot) => ODD.includes(slot))).toBe(true);
      } finally {
        await odd.release();
      }
    } finally {
      await even.release();
    }
  });

  test('when a relay holds every slot, then it claims every unpublished row', async () => {
    const everything = await claim(ALL_RELAY_SLOTS);
    try {
      expect(everything.rows).toHaveLength(ALL_RELAY_SLOTS.length * 2);
    } finally {
      await everything.release();
    }
  });
});
