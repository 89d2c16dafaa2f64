import type { Admin, Kafka } from 'kafkajs';
import { settledAll } from '../shared/settled-all';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Records between the group's committed offset and the log end. */
  lag: number;
}

export interface ConsumerLagReader {
  /** One round trip for the group's offsets, one per topic for the log ends. */
  read(): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/**
 * A consumer group's lag per partition, through the admin API: committed offsets
 * (fetchOffsets) against each partition's log end (fetchTopicOffsets). A partition the group
 * never committed counts from its first retained record.
 */
export function createConsumerLagReader(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
): ConsumerLagReader {
  // No retries of its own: the sampler asks again next interval, and a retrier still running
  // after a failed read would outlive close() (kafkajs's admin.disconnect does not cancel it).
  const admin: Admin = kafka.admin({ retry: { retries: 0 } });
  let connected: Promise<void> | undefined;

  return {
    async read() {
      connected ??= admin.connect().catch((error: unknown) => {
        connected = undefined;
        throw error;
      });
      await connected;
      // allSettled: a read ends only once every request it made has, so none outlives a stop.
      const [committed, ends] = await settledAll([
        admin.fetchOffsets({ groupId, topics: [...topics] }),
        settledAll(topics.map((topic) => admin.fetchTopicOffsets(topic))),
      ] as const);
      const lags: PartitionLag[] = [];
      for (const { topic, partitions } of committed) {
        const endOf = new Map(
          (ends[topics.indexOf(topic)] ?? []).map((end) => [end.partition, end]),
        );
        for (const { partition, offset } of partitions) {
          const end = endOf.get(partition);
          if (!end) continue;
          const from = Number(offset) >= 0 ? Number(offset) : Number(end.low);
          lags.push({ topic, partition, lag: Math.max(0, Number(end.high) - from) });
        }
      }
      return lags;
    },
    async close() {
      if (connected) await admin.disconnect();
    },
  };
}
