import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  uniqueTopicPrefix,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import { readTopics, type DecodedRecord, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import {
  firstDeliveredAmounts,
  insertPaymentRequests,
  inWriteOrder,
} from '../../support/outbox-fixtures';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const ORDERS = 300;
const EVENTS_PER_ORDER = 5;

async function outboxCounts(sql: Client): Promise<{ published: number; pending: number }> {
  const { rows } = await sql.query(
    `SELECT count(published_at)::int AS published,
            count(*) FILTER (WHERE published_at IS NULL)::int AS pending
     FROM outbox`,
  );
  return rows[0];
}

const database = freshDatabase();

describe('outbox relay: a restart in the middle of a burst loses nothing', () => {
  let config: Config;
  let serviceA: RunningService | undefined;
  let serviceB: RunningService | undefined;
  let reader: TopicReader;
  const orderIds = Array.from({ length: ORDERS }, () => randomUUID());
  let publishedByA: string[] = [];

  beforeAll(async () => {
    // Both instances: the same database and the same topics. Small batches, so stopping A
    // lands in the middle of the burst.
    config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      OUTBOX_BATCH_SIZE: '10',
    });
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  afterAll(async () => {
    await reader?.stop();
    await serviceA?.stop();
    await serviceB?.stop();
  });

  /**
   * The fixture both tests stand on: instance A publishes one order, then is stopped in the
   * middle of a burst, and Kafka has caught up with every row A marked published. What Kafka
   * held at that moment is kept, so the test about A does not depend on B having run or not.
   */
  let firstOrderId: string;
  let pendingAfterStop: number;
  let onKafkaAfterA: DecodedRecord[];
  beforeAll(async () => {
    serviceA = await startJoinedOrderService(config);
    const response = await postOrder(serviceA.http.url, aValidOrder({ customerId: 'before' }));
    expect(response.status).toBe(202);
    firstOrderId = (await readJson(response)).id;
    await waitFor(async () => (await outboxCounts(database.sql)).pending === 0, {
      message: 'the first order published by A',
    });

    // Event n of every order, then event n + 1 of every order...: each order's rows far apart.
    const burst = [];
    for (let amount = 1; amount <= EVENTS_PER_ORDER; amount++) {
      for (const orderId of orderIds) burst.push({ orderId, amount });
    }
    await insertPaymentRequests(database.sql, burst);
    await waitFor(async () => (await outboxCounts(database.sql)).published > 100, {
      intervalMs: 10,
      message: 'A publishing the burst',
    });
    await serviceA.stop();
    serviceA = undefined;

    pendingAfterStop = (await outboxCounts(database.sql)).pending;
    const { rows } = await database.sql.query<{ event_id: string }>(
      'SELECT event_id FROM outbox WHERE published_at IS NOT NULL',
    );
    publishedByA = rows.map((row) => row.event_id);
    await waitFor(
      () => {
        const seen = new Set(reader.records.map((record) => record.value.eventId));
        return publishedByA.every((id) => seen.has(id));
      },
      { timeoutMs: 20_000, message: 'every row A marked published on Kafka' },
    );
    onKafkaAfterA = [...reader.records];
  }, 90_000); // its waits alone may take 40 s; jest's 30 s for a hook timed out on a loaded machine

  test('when instance A is stopped in the middle of a burst, then every row it marked published is on Kafka', () => {
    expect(pendingAfterStop).toBeGreaterThan(0); // A really stopped mid-stream
    const seen = new Set(onKafkaAfterA.map((record) => record.value.eventId));
    expect(publishedByA.filter((id) => !seen.has(id))).toEqual([]);
    expect(onKafkaAfterA.map((record) => record.key)).toContain(firstOrderId);
    // Nobody published then, and A finished its batch in flight before stop() returned: Kafka
    // held nothing A had not marked published.
    const marked = new Set(publishedByA);
    expect(onKafkaAfterA.filter((record) => !marked.has(record.value.eventId))).toEqual([]);
  });

  test('when instance B starts on the same database, then it publishes the rest: every event reaches Kafka, in order per order', async () => {
    serviceB = await startJoinedOrderService(config);

    await waitFor(async () => (await outboxCounts(database.sql)).pending === 0, {
      timeoutMs: 30_000,
      message: 'B publishing the rest of the burst',
    });
    const { rows } = await database.sql.query<{ event_id: string }>('SELECT event_id FROM outbox');
    expect(rows).toHaveLength(1 + ORDERS * EVENTS_PER_ORDER);
    const wanted = rows.map((row) => row.event_id);
    await waitFor(
      () => {
        const seen = new Set(reader.records.map((record) => record.value.eventId));
        return wanted.every((id) => seen.has(id));
      },
      { timeoutMs: 20_000, message: 'every outbox event on Kafka' },
    );

    // A finished its batch in flight before it stopped, so B re-sent nothing A had sent.
    const deliveries = new Map<string, number>();
    for (const record of reader.records) {
      deliveries.set(record.value.eventId, (deliveries.get(record.value.eventId) ?? 0) + 1);
    }
    expect([...deliveries].filter(([, count]) => count > 1)).toEqual([]);

    expect(firstDeliveredAmounts(reader.records, orderIds)).toEqual(inWriteOrder(orderIds, 5));
  });
});
