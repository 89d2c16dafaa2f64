import type { Kafka } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import { ALL_TOPICS, physicalTopic } from './topics';

/**
 * Optional start-up step (KAFKA_CREATE_TOPICS=true) for clusters where the service may own its
 * topics. Existing topics are left as they are. Off by default: most production clusters
 * provision topics outside the application, and some test brokers cannot create them.
 */
export async function provisionTopics(kafka: Kafka, config: Config, logger: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: ALL_TOPICS.map((topic) => ({
        topic: physicalTopic(config.KAFKA_TOPIC_PREFIX, topic),
        numPartitions: config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      })),
    });
    logger.info('topics provisioned', { created });
  } finally {
    await admin.disconnect();
  }
}
