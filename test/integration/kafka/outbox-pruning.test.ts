import { randomUUID } from 'node:crypto';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { capturingLogger } from '../../support/capturing-logger';
import { freshDatabase } from '../../support/fixtures/fresh-database';

interface OutboxRow {
  event_id: string;
  published_at: Date | null;
  attempts: number;
  last_error: string | null;
}

const database = freshDatabase();

describe('outbox pruning: published rows are deleted after the retention, unpublished ones never', () => {
  let config: Config;
  let service: RunningService;
  let reader: TopicReader;
  const logs = capturingLogger();

  async function insertRow(orderId: string, topic: string, payload: object): Promise<string> {
    const eventId = randomUUID();
    await database.sql.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload)
       VALUES ($1, $2::uuid, $3, $2::text, $4)`,
      [eventId, orderId, topic, JSON.stringify(payload)],
    );
    return eventId;
  }

  async function outboxRow(eventId: string): Promise<OutboxRow | undefined> {
    const { rows } = await database.sql.query<OutboxRow>(
      'SELECT event_id, published_at, attempts, last_error FROM outbox WHERE event_id = $1',
      [eventId],
    );
    return rows[0];
  }

  /** Posts an order and waits until it is on Kafka and its outbox row has been pruned. */
  async function postOrderAndSeeItPruned(customerId: string): Promise<string> {
    const response = await postOrder(service.http.url, aValidOrder({ customerId }));
    expect(response.status).toBe(202);
    const { id } = await readJson(response);
    await waitFor(() => reader.records.some((record) => record.key === id), {
      message: `order ${customerId} on Kafka`,
    });
    await waitFor(
      async () => {
        const { rows } = await database.sql.query('SELECT 1 FROM outbox WHERE order_id = $1', [id]);
        return rows.length === 0;
      },
      { message: `the outbox row of order ${customerId} pruned` },
    );
    return id;
  }

  beforeAll(async () => {
    config = testConfig({
      DATABASE_URL: database.url,
      OUTBOX_RETENTION_HOURS: '0',
      OUTBOX_PRUNE_INTERVAL_MS: '1000',
    });
    service = await startJoinedOrderService(config, logs.logger);
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  afterAll(async () => {
    await reader?.stop();
    await service?.stop();
  });

  test('when published rows are older than the retention, then they are deleted after reaching Kafka', async () => {
    const ids = await Promise.all([0, 1, 2].map((i) => postOrderAndSeeItPruned(`pruned-${i}`)));

    // Its own orders only: the other tests leave held rows that are never pruned.
    const { rows } = await database.sql.query(
      'SELECT count(*)::int AS n FROM outbox WHERE order_id = ANY($1::uuid[])',
      [ids],
    );
    expect(rows[0].n).toBe(0);
    expect(logs.entries).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'pruned published outbox rows' }),
    );
  });

  test('when a row cannot be encoded, then it is kept with its failure, holds back its order, and other orders are still published and pruned', async () => {
    const heldOrderId = randomUUID();
    const badEventId = await insertRow(heldOrderId, 'process_payment_request', {});
    const laterEventId = await insertRow(heldOrderId, 'process_payment_request', {
      eventId: randomUUID(),
      orderId: heldOrderId,
      customerId: 'held',
      amount: 100,
      currency: 'EUR',
      occurredAt: Date.now(),
    });

    // Published and pruned after the bad row was written: at least one prune ran since.
    await postOrderAndSeeItPruned('after-the-bad-row');

    expect(await outboxRow(badEventId)).toEqual({
      event_id: badEventId,
      published_at: null,
      attempts: expect.any(Number),
      last_error: 'payload does not match the topic schema',
    });
    expect((await outboxRow(badEventId))!.attempts).toBeGreaterThanOrEqual(1);
    // The order's next event waits behind the bad one: sending it would break the order's sequence.
    expect(await outboxRow(laterEventId)).toMatchObject({ published_at: null });
    expect(reader.records.filter((record) => record.key === heldOrderId)).toEqual([]);
    expect(logs.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'outbox rows cannot be encoded; their orders are held back',
        eventIds: expect.arrayContaining([badEventId]),
      }),
    );
  });

  test('when a row names a topic that has no schema, then it is held back like an unencodable row and other orders are still published', async () => {
    const heldOrderId = randomUUID();
    const eventId = await insertRow(heldOrderId, 'no_such_topic', { orderId: heldOrderId });

    await postOrderAndSeeItPruned('after-the-unknown-topic');

    expect(await outboxRow(eventId)).toEqual({
      event_id: eventId,
      published_at: null,
      attempts: expect.any(Number),
      last_error: 'no schema registered for topic no_such_topic',
    });
    expect((await outboxRow(eventId))!.attempts).toBeGreaterThanOrEqual(1);
  });
});
