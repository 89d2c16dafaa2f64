import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { MOCK_BROKER_CONSUMER_TUNING } from './kafka-mock-broker';
import { ensureTopics } from './service-topics';
import { waitFor } from './wait-for';

/** A record exactly as it is stored: key and value bytes, headers as strings. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** The idempotent producer that wrote it (kafkajs' batch context): which instance sent it. */
  producerId: string;
}

export interface RawTopicReader {
  records: RawRecord[];
  /** Waits until `predicate` matches at least `count` records, and returns those. */
  waitFor(
    predicate: (record: RawRecord) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<RawRecord[]>;
  stop(): Promise<void>;
}

/**
 * Reads `topics` (created first if need be) from the beginning with a fresh consumer group that commits nothing anyone else
 * sees, handing each record to `onRecord` as stored. Both test readers are built on it.
 */
export async function consumeTopics(
  brokers: string[],
  topics: string[],
  onRecord: (record: RawRecord) => Promise<void> | void,
): Promise<Consumer> {
  await ensureTopics(brokers, topics);
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({
    groupId: `reader-${randomBytes(4).toString('hex')}`,
    ...MOCK_BROKER_CONSUMER_TUNING,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      await onRecord({
        topic,
        partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: message.key,
        value: message.value,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
        producerId: String(
          (message as { batchContext?: { producerId?: unknown } }).batchContext?.producerId ?? '',
        ),
      });
    },
  });
  return consumer;
}

/**
 * Reads topics from the beginning and keeps every record undecoded (dead-letter topics must hold
 * the original bytes, which only a raw reader can check).
 */
export async function readRawTopics(brokers: string[], topics: string[]): Promise<RawTopicReader> {
  const records: RawRecord[] = [];
  const consumer = await consumeTopics(brokers, topics, (record) => {
    records.push(record);
  });
  return {
    records,
    async waitFor(predicate, count = 1, timeoutMs = 20_000) {
      return waitFor(
        () => {
          const matching = records.filter(predicate);
          return matching.length >= count ? matching : undefined;
        },
        {
          timeoutMs,
          message: `${count} matching record(s) on ${topics.join(', ')} (${records.length} read)`,
        },
      );
    },
    stop: () => consumer.disconnect(),
  };
}
