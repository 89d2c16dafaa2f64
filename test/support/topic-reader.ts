import { randomBytes } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { MOCK_BROKER_CONSUMER_TUNING } from './kafka-mock-broker';
import { waitFor } from './wait-for';

/** A record as an independent consumer sees it: key, headers, and the value decoded through the registry. */
export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value: any;
}

export interface TopicReader {
  records: DecodedRecord[];
  /** Waits until at least `count` records arrived (matching `filter` if given). */
  waitForCount(count: number, timeoutMs?: number): Promise<DecodedRecord[]>;
  stop(): Promise<void>;
}

/**
 * Reads topics from the beginning with a fresh consumer group, decoding every value through the
 * registry, the way a peer service would. It shares no code with the service's producer path.
 */
export async function readTopics(
  brokers: string[],
  registryUrl: string,
  topics: string[],
): Promise<TopicReader> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const registry = new SchemaRegistry({ host: registryUrl });
  const consumer: Consumer = kafka.consumer({
    groupId: `reader-${randomBytes(4).toString('hex')}`,
    ...MOCK_BROKER_CONSUMER_TUNING,
  });
  const records: DecodedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? '',
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
        value: message.value ? await registry.decode(message.value) : null,
      });
    },
  });
  return {
    records,
    async waitForCount(count, timeoutMs = 20_000) {
      await waitFor(() => records.length >= count, {
        timeoutMs,
        message: `expected ${count} records on ${topics.join(', ')}, got ${records.length}`,
      });
      return records;
    },
    stop: () => consumer.disconnect(),
  };
}
