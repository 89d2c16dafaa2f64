/**
 * Topics for tests: a real broker creates none on first use (auto-creation is off, as in
 * production), so every test creates the topics it touches; on the mock, which has no
 * CreateTopics and creates topics on any metadata request, these are no-ops.
 */
import { serviceOptions, type Config } from '../../src/config';
import { createKafka } from '../../src/messaging/kafka-client-factory';
import { createTopics, provisionTopics } from '../../src/messaging/topic-provisioning';
import { createLogger } from '../../src/shared/logger';
import { sharedKafkaStack } from './kafka-stack';

/** The partition count of test topics: the mock's own default, so both behave alike. */
export const TEST_PARTITIONS = 4;

/** Creates every topic of a service with this config, as its start-up would. */
export async function createServiceTopics(config: Config): Promise<void> {
  if (!config.KAFKA_CREATE_TOPICS) return;
  const logger = createLogger('silent');
  await provisionTopics(
    testKafka(config.KAFKA_BROKERS),
    serviceOptions(config).kafka.topics,
    logger,
  );
}

/** In a jest worker: creates these topics on the shared broker unless it is the mock. */
export async function ensureTopics(brokers: string[], topics: string[]): Promise<void> {
  if (sharedKafkaStack().flavour === 'mock' || topics.length === 0) return;
  await createTopics(testKafka(brokers), topics, {
    partitions: TEST_PARTITIONS,
    replicationFactor: 1,
  });
}

function testKafka(brokers: string[]) {
  return createKafka({
    clientId: 'test-topics',
    brokers,
    requestTimeoutMs: 10_000,
    logger: createLogger('silent'),
  });
}
