import { randomUUID } from 'node:crypto';
import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { readTopics, type DecodedRecord, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { insertPaymentRequests } from '../../support/outbox-fixtures';
import { runningService } from '../../support/fixtures/running-service';

/** Each key's values in partition-offset order (a key always maps to one partition). */
function amountsByKey(records: DecodedRecord[]): Map<string, number[]> {
  const sorted = [...records].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
  const byKey = new Map<string, number[]>();
  for (const record of sorted) {
    byKey.set(record.key, [...(byKey.get(record.key) ?? []), Number(record.value.amount)]);
  }
  return byKey;
}

/** At-least-once allows repeats; what must hold is the order in which values first appear. */
function firstOccurrences(values: number[]): number[] {
  return [...new Set(values)];
}

// A small batch, so one order's events are split over several batches.
const app = runningService({ OUTBOX_BATCH_SIZE: '16' });

describe('outbox relay: every order reaches Kafka, and one order’s events stay in write order', () => {
  let reader: TopicReader;
  beforeAll(async () => {
    reader = await readTopics(app.config.KAFKA_BROKERS, app.config.SCHEMA_REGISTRY_URL, [
      `${app.config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  afterAll(async () => {
    await reader.stop();
  });

  test('when 200 orders are posted concurrently, then each arrives on Kafka keyed by its order id', async () => {
    const orderIds: string[] = [];
    for (let chunk = 0; chunk < 4; chunk++) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          postOrder(app.url, aValidOrder({ customerId: `concurrent-${chunk}-${i}` })),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(202));
      for (const response of responses) orderIds.push((await readJson(response)).id);
    }
    const expected = new Set(orderIds);
    expect(expected.size).toBe(200);

    await waitFor(
      () => [...expected].every((id) => reader.records.some((record) => record.key === id)),
      { timeoutMs: 20_000, message: 'all 200 orders on Kafka' },
    );

    const ours = reader.records.filter((record) => expected.has(record.key));
    expect(new Set(ours.map((record) => record.key))).toEqual(expected);
    for (const record of ours) expect(record.value.orderId).toBe(record.key);
    await waitFor(
      async () => {
        const { rows } = await app.sql.query(
          'SELECT count(*)::int AS n FROM outbox WHERE order_id = ANY($1::uuid[]) AND published_at IS NULL',
          [orderIds],
        );
        return rows[0].n === 0;
      },
      { message: 'outbox rows of the 200 orders marked published' },
    );
  });

  test('when 50 orders each write 5 events interleaved with the others, then each order’s events arrive in write order', async () => {
    const orderIds: string[] = Array.from({ length: 50 }, () => randomUUID());
    const eventIds: string[] = [];
    // Five rounds, each one statement: round n writes event n of every order, so the rows of
    // one order are far apart in the outbox and split over several relay batches.
    for (let sequence = 1; sequence <= 5; sequence++) {
      eventIds.push(
        ...(await insertPaymentRequests(
          app.sql,
          orderIds.map((orderId) => ({ orderId, amount: sequence })),
        )),
      );
    }

    const wanted = new Set(eventIds);
    await waitFor(
      () => {
        const seen = new Set(reader.records.map((record) => record.value.eventId));
        return [...wanted].every((id) => seen.has(id));
      },
      { timeoutMs: 20_000, message: 'all 250 events on Kafka' },
    );

    const byKey = amountsByKey(reader.records.filter((record) => orderIds.includes(record.key)));
    expect(new Set(byKey.keys())).toEqual(new Set(orderIds));
    for (const orderId of orderIds) {
      expect({ orderId, amounts: firstOccurrences(byKey.get(orderId)!) }).toEqual({
        orderId,
        amounts: [1, 2, 3, 4, 5],
      });
    }
  });
});
