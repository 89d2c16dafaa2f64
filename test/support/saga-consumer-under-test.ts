/**
 * The saga consumer wired as the service wires it (the real registry decoder, record processor
 * and consumer lifecycle) around the saga store and dead-letter publisher a test gives, in a
 * consumer group of its own: for tests about the consume path, not the saga.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { ReplyResult, SagaReply } from '../../src/domain/handle-replies-use-case';
import { createSagaConsumer, type SagaConsumer } from '../../src/entry-points/kafka/saga-consumer';
import { createSagaRecordProcessor } from '../../src/entry-points/kafka/saga-record-processor';
import { DEFAULT_AVRO_BOUNDS } from '../../src/messaging/avro-bounds';
import type { DeadLetterPublisher } from '../../src/messaging/dead-letter-publisher';
import { createInboundRecordDecoder } from '../../src/messaging/inbound-record-decoder';
import { createRegistryClient } from '../../src/messaging/schema-registry-client';
import { createWriterSchemas } from '../../src/messaging/writer-schemas';
import type { Logger } from '../../src/shared/logger';
import { createMetrics } from '../../src/shared/metrics';
import { MOCK_BROKER_CONSUMER_TUNING } from './kafka-mock-broker';

export interface SagaConsumerUnderTestOptions {
  kafka: Kafka;
  registryUrl: string;
  groupId: string;
  topicPrefix: string;
  handleReplies: (replies: readonly SagaReply[]) => Promise<ReplyResult[]>;
  deadLetters: DeadLetterPublisher;
  logger: Logger;
  retries: { retryMinMs: number; retryMaxMs: number };
}

/** Resolves once the consumer has joined its group. */
export async function startSagaConsumerUnderTest(
  options: SagaConsumerUnderTestOptions,
): Promise<SagaConsumer> {
  const { kafka, registryUrl, groupId, topicPrefix, logger, retries } = options;
  const processor = createSagaRecordProcessor(
    {
      decoder: createInboundRecordDecoder(
        createWriterSchemas(createRegistryClient({ url: registryUrl, retries: 0 }), {
          maxExpansion: 1_000,
        }),
        { ...DEFAULT_AVRO_BOUNDS, topicPrefix, maxRecordBytes: 1_048_576 },
      ),
      handleReplies: options.handleReplies,
      deadLetters: options.deadLetters,
      metrics: createMetrics(),
      logger,
    },
    { groupId, topicPrefix, maxUnknownAttempts: 3, maxBatchSize: 100, ...retries },
  );
  const consumer = createSagaConsumer(
    { kafka, processor, logger },
    {
      groupId,
      partitionsConcurrency: 1,
      ...retries,
      sessionTimeoutMs: MOCK_BROKER_CONSUMER_TUNING.sessionTimeout,
      heartbeatIntervalMs: MOCK_BROKER_CONSUMER_TUNING.heartbeatInterval,
    },
  );
  await consumer.start();
  return consumer;
}

/** The group's committed offset of one partition; -1 when none. */
export async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Number(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
}
