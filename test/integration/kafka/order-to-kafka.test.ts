import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService();

describe('outbox relay: an accepted order reaches Kafka as Avro', () => {
  let reader: TopicReader;
  beforeAll(async () => {
    reader = await readTopics(app.config.KAFKA_BROKERS, app.config.SCHEMA_REGISTRY_URL, [
      `${app.config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
  });
  afterAll(async () => {
    await reader.stop();
  });

  test('when an order is posted, then a consumer decodes its payment request, keyed by order id', async () => {
    const order = await readJson(await postOrder(app.url, aValidOrder({ customerId: 'kafka-1' })));

    // Tests run in any order: another test's order may be on the topic too.
    const records = await reader.waitForCount(1);
    await waitFor(() => records.some((candidate) => candidate.key === order.id), {
      message: "the order's payment request",
    });
    const record = records.find((candidate) => candidate.key === order.id)!;
    expect(record.key).toBe(order.id);
    expect(record.value).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      orderId: order.id,
      customerId: 'kafka-1',
      amount: order.totalAmount,
      currency: 'EUR',
      occurredAt: expect.any(Number),
    });
    expect(record.headers).toMatchObject({
      'event-id': record.value.eventId,
      'event-type': 'process_payment_request',
    });
  });

  test('when Kafka acknowledged a row, then the outbox row is marked published', async () => {
    const order = await readJson(await postOrder(app.url, aValidOrder({ customerId: 'kafka-2' })));
    const published = async () =>
      (
        await app.sql.query(
          'SELECT attempts, last_error, published_at IS NOT NULL AS published FROM outbox WHERE order_id = $1',
          [order.id],
        )
      ).rows;
    await waitFor(async () => (await published())[0]?.published === true, {
      timeoutMs: 10_000,
      message: "the order's outbox row still unpublished",
    });
    expect(await published()).toEqual([{ attempts: 0, last_error: null, published: true }]);
  });

  test('when the service starts, then each produced schema is registered under <topic>-value as FULL_TRANSITIVE, the default of SCHEMA_COMPATIBILITY', async () => {
    // Registration runs beside intake: wait for it here, not on an earlier test's publish. The
    // subject is asked for by name: a registry shared by many runs lists /subjects cut short.
    const subject = `${app.config.KAFKA_TOPIC_PREFIX}process_payment_request-value`;
    await waitFor(
      async () =>
        (await fetch(`${app.config.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions`)).ok,
      { message: `${subject} registered` },
    );
    const config = await readJson(
      await fetch(
        `${app.config.SCHEMA_REGISTRY_URL}/config/${app.config.KAFKA_TOPIC_PREFIX}process_payment_request-value`,
      ),
    );
    expect(config.compatibilityLevel).toBe('FULL_TRANSITIVE');
  });
});
