import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { consumeTopics } from './raw-topic-reader';
import { waitFor } from './wait-for';

/** A record as an independent consumer sees it: key, headers, and the value decoded through the registry. */
export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** CreateTime: when the producer sent it (ms since the epoch, as text). */
  timestamp: string;
  /** The idempotent producer that wrote it: which instance sent it. */
  producerId: string;
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
  const registry = new SchemaRegistry({ host: registryUrl });
  const records: DecodedRecord[] = [];
  const consumer = await consumeTopics(brokers, topics, async (record) => {
    const { topic, partition, offset, timestamp, producerId, headers, key, value } = record;
    records.push({
      topic,
      partition,
      offset,
      timestamp,
      producerId,
      headers,
      key: key?.toString() ?? '',
      value: value ? await registry.decode(value) : null,
    });
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
