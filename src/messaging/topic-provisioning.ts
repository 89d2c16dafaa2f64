import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '../shared/logger';
import { retry } from '../shared/retry';
import { settledAll } from '../shared/settled-all';
import { ALL_TOPICS, consumedDeadLetterTopics, physicalTopic } from './topics';
import { describeTopics, refusedForGood, requireTopics, withTopicErrors } from './topic-check';

/** Every topic the service touches: the saga's topics and the consumed ones' dead-letter topics. */
export function serviceTopics(prefix: string): string[] {
  return [
    ...ALL_TOPICS.map((topic) => physicalTopic(prefix, topic)),
    ...consumedDeadLetterTopics(prefix),
  ];
}

/** The topics the service creates: under its prefix, with these partitions and replicas. */
export interface TopicSettings {
  topicPrefix: string;
  partitions: number;
  replicationFactor: number;
}

/**
 * Optional start-up step (KAFKA_CREATE_TOPICS=true) for clusters where the service may own its
 * topics. Existing topics are left as they are. Off by default: most production clusters
 * provision topics outside the application, and some test brokers cannot create them.
 * Resolves once every topic has a leader, so what starts next can produce and subscribe.
 * A creation the broker refuses for good rejects with a TopicsRefusedError carrying its reason.
 */
export async function provisionTopics(
  kafka: Kafka,
  config: TopicSettings,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const created = await createTopics(
    kafka,
    serviceTopics(config.topicPrefix),
    { partitions: config.partitions, replicationFactor: config.replicationFactor },
    signal,
  );
  logger.info('topics provisioned', { created });
}

/**
 * Before each join when the service does not own its topics: rejects with a TopicsMissingError
 * naming the topics the broker lacks (the consumer retries, so creating them is enough), or a
 * TopicsRefusedError when the broker will not even describe them.
 */
export async function checkTopicsExist(kafka: Kafka, prefix: string): Promise<void> {
  // One attempt per check: the consumer's own backoff paces the next one.
  const admin = kafka.admin({ retry: { retries: 0 } });
  await admin.connect();
  try {
    await requireTopics(admin, serviceTopics(prefix));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the topics that do not exist yet and resolves once every one has a leader.
 * True when at least one was created. An abort ends the wait for leaders.
 */
export async function createTopics(
  kafka: Kafka,
  topics: string[],
  { partitions, replicationFactor }: { partitions: number; replicationFactor: number },
  signal?: AbortSignal,
): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Only the missing ones: kafkajs logs an error line for every topic that already exists.
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    // kafkajs's waitForLeaders retries only LEADER_NOT_AVAILABLE; a KRaft broker first answers
    // UNKNOWN_TOPIC_OR_PARTITION for a moment, so the wait for leaders is our own.
    const created =
      missing.length > 0 &&
      (await admin
        .createTopics({
          waitForLeaders: false,
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
        })
        .catch(async (error: unknown) => {
          const brokerCount = await admin
            .describeCluster()
            .then(({ brokers }) => brokers.length)
            .catch(() => undefined);
          const refusal = refusedForGood(error, {
            action: 'create',
            topics: missing,
            replicationFactor,
            brokerCount,
          });
          if (refusal) throw refusal;
          throw new Error(
            `creating Kafka topics ${describeTopics(missing)} failed: ${withTopicErrors(error)}`,
            { cause: error },
          );
        }));
    await waitForLeaders(admin, topics, signal);
    return created;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Until every partition has a leader that serves it: ListOffsets goes to each leader, so it
 * succeeding means producers and consumers can start (about 25 s at most, then the error).
 */
async function waitForLeaders(
  admin: Admin,
  topics: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  await retry(
    async () => {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      if (!metadata.every((topic) => topic.partitions.every((p) => p.leader >= 0))) {
        throw new Error('a topic has no leader yet');
      }
      await settledAll(topics.map((topic) => admin.fetchTopicOffsets(topic)));
    },
    { minMs: 50, maxMs: 1_000, retries: 30, signal },
  );
}
