import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { createKafka } from '../../../src/messaging/kafka-client-factory';
import { createLogger } from '../../../src/shared/logger';
import { runningService } from '../../support/fixtures/running-service';
import { readRawTopics, type RawTopicReader } from '../../support/raw-topic-reader';
import { waitFor } from '../../support/wait-for';

// The topic takes record batches of at most 32 KiB; the relay's batches count at most 24 KiB.
const TOPIC_MAX_MESSAGE_BYTES = 32 * 1_024;
const app = runningService({
  OUTBOX_BATCH_MAX_BYTES: String(24 * 1_024),
  OUTBOX_POLL_INTERVAL_MS: '100',
});

/**
 * The broker refuses a record batch above `max.message.bytes` whole (MESSAGE_TOO_LARGE), and
 * kafkajs does not split it: a relay batch of rows that fit one by one but not together would be
 * sent again for ever, and every later row of its slots would wait behind it. The relay bounds
 * its batches by bytes as well as rows (OUTBOX_BATCH_MAX_BYTES).
 */
describe('outbox relay: batches bounded by bytes, under the broker’s record-batch limit', () => {
  let raw: RawTopicReader;
  let topic: string;

  beforeAll(async () => {
    topic = `${app.config.KAFKA_TOPIC_PREFIX}process_payment_request`;
    const admin = createKafka({
      clientId: 'test-topic-config',
      brokers: app.config.KAFKA_BROKERS,
      requestTimeoutMs: 10_000,
      logger: createLogger('silent'),
    }).admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    raw = await readRawTopics(app.config.KAFKA_BROKERS, [topic]);
  });
  afterAll(async () => {
    await raw?.stop();
  });

  test('when forty 8 KB rows wait at once, then every one is published, each order’s key once', async () => {
    const orders: string[] = Array.from({ length: 40 }, () => randomUUID());
    // 320 KB together, about 80 KB for each of the topic's partitions: over its 32 KiB limit.
    await app.sql.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload)
       SELECT gen_random_uuid(), o, 'process_payment_request', o::text, jsonb_build_object(
         'eventId', gen_random_uuid()::text, 'orderId', o::text, 'customerId', repeat('c', 8000),
         'amount', 1000, 'currency', 'EUR', 'occurredAt', (extract(epoch from now()) * 1000)::bigint)
       FROM unnest($1::uuid[]) AS o`,
      [orders],
    );

    await waitFor(
      async () =>
        (
          await app.sql.query(
            `SELECT count(*)::int AS n FROM outbox WHERE order_id = ANY($1::uuid[]) AND published_at IS NOT NULL`,
            [orders],
          )
        ).rows[0].n === orders.length,
      { timeoutMs: 30_000, message: 'every 8 KB row published' },
    );
    const published = await raw.waitFor(
      (record) => orders.includes(record.key?.toString() ?? ''),
      orders.length,
    );
    expect(new Set(published.map((record) => record.key?.toString())).size).toBe(orders.length);
    const { rows } = await app.sql.query(
      `SELECT max(attempts)::int AS attempts FROM outbox WHERE order_id = ANY($1::uuid[])`,
      [orders],
    );
    expect(rows[0].attempts).toBe(0);
  });
});
