import { Client } from 'pg';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { CONSUMED_TOPICS, physicalTopic } from '../../../src/messaging/topics';
import { MOCK_BROKER_CONSUMER_TUNING } from '../../support/kafka-mock-broker';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { testConfig, startJoinedOrderService } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { waitFor } from '../../support/wait-for';
import { placeOrder, sagaEventCounts, totalWithOutcome, waitForStatus } from './saga-fixture';
import { freshDatabase } from '../../support/fixtures/fresh-database';

jest.setTimeout(90_000);

/** What the saga wrote: must be identical before and after the redelivery. */
async function snapshot(sql: Client) {
  const history = await sql.query(
    'SELECT id::text, order_id, from_status, to_status, causing_event_id FROM order_status_history ORDER BY id',
  );
  const outbox = await sql.query('SELECT id::text, event_id, topic FROM outbox ORDER BY id');
  const processed = await sql.query(
    'SELECT event_id, topic, outcome FROM processed_events ORDER BY event_id',
  );
  const orders = await sql.query('SELECT id, status, version FROM orders ORDER BY id');
  return {
    history: history.rows,
    outbox: outbox.rows,
    processed: processed.rows,
    orders: orders.rows,
  };
}

/**
 * What a crash between the database commit and the offset commit leaves behind: the group's
 * committed offsets behind records whose effects are already stored. This rewinds them all to
 * the start through the admin API (OffsetCommit for the empty group, as kafka-consumer-groups
 * --reset-offsets does). librdkafka's mock cluster lacks DescribeGroups, which kafkajs's
 * setOffsets calls first; there only, it joins the empty group and seeks every partition to 0.
 */
async function rewindConsumerGroup(
  config: Config,
  checkBefore: (committed: string[]) => void,
): Promise<void> {
  const kafka = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const topics = CONSUMED_TOPICS.map((topic) => physicalTopic(config.KAFKA_TOPIC_PREFIX, topic));
  const admin = kafka.admin();
  await admin.connect();
  try {
    checkBefore(await committedOffsets(admin, config));
    const partitions = await Promise.all(
      topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) })),
    );
    const rewound = () =>
      waitFor(async () => (await committedOffsets(admin, config)).every((o) => o === '0'), {
        message: 'committed offsets rewound to 0',
      });
    if (sharedKafkaStack().flavour === 'mock') {
      await seekFromEmptyGroup(kafka, config.SAGA_CONSUMER_GROUP, partitions, rewound);
    } else {
      for (const { topic, offsets } of partitions) {
        await admin.setOffsets({
          groupId: config.SAGA_CONSUMER_GROUP,
          topic,
          partitions: offsets.map(({ partition }) => ({ partition, offset: '0' })),
        });
      }
      await rewound();
    }
  } finally {
    await admin.disconnect();
  }
}

async function seekFromEmptyGroup(
  kafka: Kafka,
  groupId: string,
  partitions: { topic: string; offsets: { partition: number }[] }[],
  rewound: () => Promise<unknown>,
): Promise<void> {
  const topics = partitions.map(({ topic }) => topic);
  const consumer = kafka.consumer({ groupId, ...MOCK_BROKER_CONSUMER_TUNING });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics });
    await consumer.run({ eachBatchAutoResolve: false, eachBatch: async () => undefined });
    consumer.pause(topics.map((topic) => ({ topic })));
    for (const { topic, offsets } of partitions) {
      for (const { partition } of offsets) consumer.seek({ topic, partition, offset: '0' });
    }
    await rewound(); // while the group still holds the partitions
  } finally {
    await consumer.disconnect();
  }
}

async function committedOffsets(admin: Admin, config: Config): Promise<string[]> {
  const topics = CONSUMED_TOPICS.map((topic) => physicalTopic(config.KAFKA_TOPIC_PREFIX, topic));
  const offsets = await admin.fetchOffsets({ groupId: config.SAGA_CONSUMER_GROUP, topics });
  return offsets.flatMap(({ partitions }) => partitions.map((p) => p.offset));
}

const database = freshDatabase();

describe('crash after the database commit, before the offset commit', () => {
  let config: Config;
  let events: PeerEvents;
  let first: RunningService | undefined;
  let second: RunningService | undefined;

  beforeAll(async () => {
    config = testConfig({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await events?.stop();
    await first?.stop();
    await second?.stop();
  });

  test('when the consumer group is rewound to the beginning and the service restarts, then every event is redelivered and deduplicated: history and outbox unchanged', async () => {
    // Arrange: one instance drives three orders down three paths, plus one ignored reply.
    [first, events] = await Promise.all([
      startJoinedOrderService(config),
      startPeerEvents(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, config.KAFKA_TOPIC_PREFIX),
    ]);
    const url = first.http.url;
    const confirmed = await placeOrder(url, { customerId: 'crash-confirmed' });
    const declined = await placeOrder(url, { customerId: 'crash-declined' });
    const compensated = await placeOrder(url, { customerId: 'crash-compensated' });
    const amount = confirmed.totalAmount;
    await events.send('payment_successful', { orderId: confirmed.id, paymentId: 'p1', amount });
    await events.send('payment_failed', { orderId: declined.id, reason: 'card declined' });
    await events.send('payment_successful', { orderId: compensated.id, paymentId: 'p3', amount });
    await waitForStatus(url, confirmed.id, 'INVENTORY_RESERVING');
    await waitForStatus(url, compensated.id, 'INVENTORY_RESERVING');
    await events.send('inventory_reserved', { orderId: confirmed.id, reservationId: 'r1' });
    await events.send('inventory_reservation_failed', {
      orderId: compensated.id,
      reason: 'out of stock',
    });
    await waitForStatus(url, compensated.id, 'COMPENSATING');
    await events.send('payment_refunded', { orderId: compensated.id, paymentId: 'p3' });
    await waitForStatus(url, confirmed.id, 'CONFIRMED');
    await waitForStatus(url, compensated.id, 'FAILED');
    await events.send('payment_failed', { orderId: confirmed.id, reason: 'too late' }); // ignored
    const delivered = 7;
    await waitFor(
      async () => {
        const { rows } = await database.sql.query(
          'SELECT count(*)::int AS n FROM processed_events',
        );
        const pending = await database.sql.query('SELECT 1 FROM outbox WHERE published_at IS NULL');
        return rows[0].n === delivered && pending.rowCount === 0;
      },
      { message: 'all replies processed and all emitted events published' },
    );
    await first.stop();
    first = undefined;
    const before = await snapshot(database.sql);
    expect(before.processed.map((row) => row.outcome).sort()).toEqual(
      ['applied', 'applied', 'applied', 'applied', 'applied', 'applied', 'ignored'].sort(),
    );

    // Act: the crash's leftovers, then a new instance on the same database, group and prefix.
    await rewindConsumerGroup(config, (committed) =>
      // The first instance did commit past the records: the rewind is what redelivers them.
      expect(committed.some((offset) => Number(offset) > 0)).toBe(true),
    );
    second = await startJoinedOrderService(config);

    // Assert: every event came back and was recognised; nothing was applied twice.
    const secondAdminUrl = second.admin.url;
    await waitFor(
      async () => totalWithOutcome(await sagaEventCounts(secondAdminUrl), 'duplicate') >= delivered,
      { timeoutMs: 30_000, message: `${delivered} redelivered events counted as duplicates` },
    );
    const counts = await sagaEventCounts(secondAdminUrl);
    expect(totalWithOutcome(counts, 'duplicate')).toBe(delivered);
    expect(totalWithOutcome(counts, 'applied')).toBe(0);
    expect(totalWithOutcome(counts, 'ignored')).toBe(0);
    expect(await snapshot(database.sql)).toEqual(before);
  });
});
