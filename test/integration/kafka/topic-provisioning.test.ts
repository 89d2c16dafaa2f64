import { Kafka, logLevel, type Admin } from 'kafkajs';
import { loadConfig } from '../../../src/config';
import { serviceTopics } from '../../../src/messaging/topic-provisioning';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { createServiceTopics } from '../../support/service-topics';

/** CreateTopics on a real broker, which creates nothing on first use. */
const realBrokerOnly = sharedKafkaStack().flavour === 'real' ? describe : describe.skip;

realBrokerOnly('KAFKA_CREATE_TOPICS: the service creates its topics on a real broker', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  let admin: Admin;

  beforeAll(async () => {
    admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  const configFor = (prefix: string, partitions: number) =>
    loadConfig({
      DATABASE_URL: 'postgresql://unused@127.0.0.1/unused',
      NODE_ENV: 'test',
      AUTH_MODE: 'none',
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_TOPIC_PARTITIONS: String(partitions),
      KAFKA_REPLICATION_FACTOR: '1',
    });

  async function partitionCounts(topics: string[]): Promise<Record<string, number>> {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    return Object.fromEntries(metadata.map((topic) => [topic.name, topic.partitions.length]));
  }

  test('when the topics are missing, then every saga topic and every DLQ topic is created with a leader', async () => {
    const prefix = uniqueTopicPrefix();
    expect((await admin.listTopics()).filter((topic) => topic.startsWith(prefix))).toEqual([]);

    await createServiceTopics(configFor(prefix, 3));

    const expected = [
      'process_payment_request',
      'reserve_inventory_request',
      'refund_payment_request',
      'release_inventory_request',
      'order_confirmed',
      'order_failed',
      'order_cancelled',
      'payment_successful',
      'payment_failed',
      'inventory_reserved',
      'inventory_reservation_failed',
      'payment_refunded',
      'payment_successful_dlq',
      'payment_failed_dlq',
      'inventory_reserved_dlq',
      'inventory_reservation_failed_dlq',
      'payment_refunded_dlq',
    ].map((topic) => `${prefix}${topic}`);
    expect(serviceTopics(prefix).sort()).toEqual([...expected].sort());
    const listed = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    expect(listed.sort()).toEqual([...expected].sort());
    const { topics } = await admin.fetchTopicMetadata({ topics: expected });
    for (const topic of topics) {
      expect(topic.partitions.every((partition) => partition.leader >= 0)).toBe(true);
    }
    expect(Object.values(await partitionCounts(expected))).toEqual(expected.map(() => 3));
  });

  test('when some topics exist already, then they are left as they are and only the missing ones are created', async () => {
    const prefix = uniqueTopicPrefix();
    const existing = `${prefix}payment_successful`;
    // waitForLeaders: false, as in the service: kafkajs's own wait fails on a KRaft broker.
    await admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic: existing, numPartitions: 1 }],
    });

    await createServiceTopics(configFor(prefix, 2));

    const counts = await partitionCounts(serviceTopics(prefix));
    expect(counts[existing]).toBe(1);
    expect(Object.keys(counts)).toHaveLength(17);
    const others = serviceTopics(prefix).filter((topic) => topic !== existing);
    expect(others.map((topic) => [topic, counts[topic]])).toEqual(others.map((t) => [t, 2]));
  });
});
