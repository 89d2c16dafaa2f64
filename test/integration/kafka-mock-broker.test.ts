import { Kafka, logLevel, Partitioners, type Consumer, type KafkaMessage } from 'kafkajs';
import {
  MOCK_BROKER_CONSUMER_TUNING,
  startMockBroker,
  type MockBroker,
} from '../support/kafka-mock-broker';
import { findExecutable } from '../support/processes';
import { waitFor } from '../support/wait-for';

// The fallback broker's own smoke test; CI installs kcat, a machine with Java may not have it.
const withKcat = findExecutable('kcat') ? describe : describe.skip;

let broker: MockBroker;
let kafka: Kafka;
const unique = (prefix: string) =>
  `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  if (!findExecutable('kcat')) return;
  broker = await startMockBroker();
  kafka = new Kafka({
    clientId: 'mock-broker-test',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
  });
});

afterAll(async () => {
  await broker?.stop();
});

withKcat('kafka mock broker (librdkafka mock cluster in kcat)', () => {
  it('when records with headers are produced, then a consumer group receives them and commits', async () => {
    const topic = unique('orders');
    const groupId = unique('order-service');
    const received: KafkaMessage[] = [];
    const consumer: Consumer = kafka.consumer({ groupId, ...MOCK_BROKER_CONSUMER_TUNING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const admin = kafka.admin();
    try {
      await Promise.all([consumer.connect(), producer.connect(), admin.connect()]);
      await consumer.subscribe({ topic, fromBeginning: true }); // auto-creates the topic
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });

      await producer.send({
        topic,
        messages: [1, 2, 3].map((n) => ({
          key: `order-${n}`,
          value: `payload-${n}`,
          headers: { 'event-type': 'OrderPlaced', 'correlation-id': `c-${n}` },
        })),
      });

      await waitFor(() => received.length === 3, { message: '3 consumed records' });
      const byKey = new Map(received.map((m) => [m.key?.toString(), m]));
      expect(byKey.get('order-2')?.value?.toString()).toBe('payload-2');
      expect(byKey.get('order-2')?.headers?.['event-type']?.toString()).toBe('OrderPlaced');
      expect(byKey.get('order-2')?.headers?.['correlation-id']?.toString()).toBe('c-2');

      const committed = await waitFor(
        async () => {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          const total = offsets!.partitions.reduce(
            (sum, p) => sum + Math.max(0, Number(p.offset)),
            0,
          );
          return total === 3 && total;
        },
        { message: `group ${groupId} to commit 3 offsets` },
      );
      expect(committed).toBe(3);
    } finally {
      await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  });

  it('when the broker is frozen, then a produce times out, and after thaw it succeeds', async () => {
    const topic = unique('frozen');
    // A short requestTimeout turns "broker hangs" into a quick, visible failure.
    const impatient = new Kafka({
      clientId: 'freeze-test',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      requestTimeout: 1_000,
    }).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 0 } });
    try {
      await impatient.connect();
      await impatient.send({ topic, messages: [{ value: 'before' }] }); // metadata now cached

      broker.freeze();
      const startedAt = Date.now();
      try {
        await expect(impatient.send({ topic, messages: [{ value: 'during' }] })).rejects.toThrow(
          /timed out/i,
        );
        expect(Date.now() - startedAt).toBeLessThan(5_000);
      } finally {
        broker.thaw();
      }

      const [result] = await impatient.send({ topic, messages: [{ value: 'after' }] });
      expect(result).toMatchObject({ topicName: topic, errorCode: 0 });
    } finally {
      broker.thaw();
      await impatient.disconnect();
    }
  });

  it('when a broker is stopped, then its process is gone', async () => {
    const other = await startMockBroker();

    await other.stop();

    expect(() => process.kill(other.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await other.stop(); // idempotent
  });
});
