import { randomUUID } from 'node:crypto';
import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

// A batch of two: without holding bad orders aside, two bad rows would fill every batch.
const app = runningService({ OUTBOX_BATCH_SIZE: '2', OUTBOX_POLL_INTERVAL_MS: '50' });

describe('outbox relay: rows that cannot be encoded never block other orders', () => {
  let reader: TopicReader;
  beforeAll(async () => {
    reader = await readTopics(app.config.KAFKA_BROKERS, app.config.SCHEMA_REGISTRY_URL, [
      `${app.config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  afterAll(async () => {
    await reader.stop();
  });

  test('when the oldest rows fill a whole batch and cannot be encoded, then newer orders are still published and the bad rows are tried once', async () => {
    const badEventIds = [randomUUID(), randomUUID()];
    for (const eventId of badEventIds) {
      await app.sql.query(
        `INSERT INTO outbox (event_id, order_id, topic, key, payload)
         VALUES ($1, $2::uuid, 'process_payment_request', $2::text, '{}')`,
        [eventId, randomUUID()],
      );
    }

    const { id } = await readJson(await postOrder(app.url, aValidOrder()));
    await waitFor(() => reader.records.some((record) => record.key === id), {
      message: 'the good order behind the bad rows was not published',
    });
    // Several polls have passed by now (50 ms each); held rows are not re-read by any of them.
    const { rows } = await app.sql.query(
      'SELECT attempts, published_at FROM outbox WHERE event_id = ANY($1::uuid[])',
      [badEventIds],
    );
    expect(rows).toEqual([
      { attempts: 1, published_at: null },
      { attempts: 1, published_at: null },
    ]);
  });
});
