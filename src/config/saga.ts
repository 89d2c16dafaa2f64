import { z } from 'zod';
import type { StepTimeouts } from '../domain/saga-transitions';
import type { RecordProcessorOptions } from '../entry-points/kafka/saga-record-processor';
import type { SagaConsumerOptions } from '../entry-points/kafka/saga-consumer';
import { DEFAULT_AVRO_BOUNDS } from '../messaging/avro-bounds';
import type { RecordLimits } from '../messaging/inbound-record-decoder';
import type { DeadlineSweeperOptions } from '../workers/deadline-sweeper';
import { documented, type SettingsOf } from './documented-keys';

/**
 * The saga: its consumer (group, concurrency, retries, what a record may cost to read), its
 * step deadlines and the sweeper that enforces them.
 */
export const sagaKeys = {
  SAGA_CONSUMER_GROUP: documented(z.string().min(1).default('order-service-saga'), {
    group: 'saga',
    description:
      'consumer group of the saga consumer; every instance of the service joins the same one',
  }),
  SAGA_PARTITIONS_CONCURRENCY: documented(z.coerce.number().int().min(1).max(64).default(4), {
    group: 'saga',
    description:
      "partitions handled at once per instance; one partition's records are always applied in order",
  }),
  SAGA_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    group: 'saga',
    description:
      'most replies of one partition applied in one transaction; a fetched batch is applied in as few transactions as this allows',
  }),
  SAGA_PAYMENT_TIMEOUT_MS: documented(
    z.coerce
      .number()
      .int()
      .min(1)
      .default(15 * 60_000),
    {
      group: 'saga',
      description: 'how long an order waits for the payment reply before it fails',
    },
  ),
  SAGA_INVENTORY_TIMEOUT_MS: documented(
    z.coerce
      .number()
      .int()
      .min(1)
      .default(5 * 60_000),
    {
      group: 'saga',
      description: 'how long a paid order waits for the reservation before its payment is refunded',
    },
  ),
  SAGA_SWEEP_INTERVAL_MS: documented(z.coerce.number().int().min(10).default(5_000), {
    group: 'saga',
    description: 'how often the deadline sweeper looks for orders past their step deadline',
  }),
  SAGA_SWEEP_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(200), {
    group: 'saga',
    description: 'most orders the deadline sweeper handles in one run',
  }),
  CONSUMER_RETRY_MIN_MS: documented(z.coerce.number().int().min(1).default(250), {
    group: 'saga',
    description:
      'while a dependency (database, broker) is down, the partition pauses, then retries: the first pause, growing up to `CONSUMER_RETRY_MAX_MS`',
  }),
  CONSUMER_RETRY_MAX_MS: documented(z.coerce.number().int().min(1).default(30_000), {
    group: 'saga',
    description: 'longest pause of a partition while a dependency is down',
  }),
  CONSUMER_MAX_UNKNOWN_ATTEMPTS: documented(z.coerce.number().int().min(1).default(5), {
    group: 'saga',
    description:
      'a record whose handler fails with an error of no known kind is tried this many times in all, then dead-lettered',
  }),
  CONSUMER_MAX_RECORD_BYTES: documented(z.coerce.number().int().min(64).default(1_048_576), {
    group: 'saga',
    description:
      "largest record value, framing included (Kafka's own default message limit); a bigger one is dead-lettered as record-too-large before it is decoded",
  }),
  CONSUMER_MAX_ITEMS: documented(z.coerce.number().int().min(1).default(10_000), {
    group: 'saga',
    description:
      "array items and map entries in one record, all together, whatever the writer's schema (a few bytes can claim a billion items); a record with more is dead-lettered as record-too-large",
  }),
  CONSUMER_MAX_STRING_BYTES: documented(z.coerce.number().int().min(16).default(65_536), {
    group: 'saga',
    description:
      'bytes in one string or bytes value of a record; a record with a longer one is dead-lettered as record-too-large',
  }),
  CONSUMER_MAX_NODES: documented(z.coerce.number().int().min(1_000).default(200_000), {
    group: 'saga',
    description:
      'values in one record, records and nulls included, counted as it is read (ten record fields nested ten deep are 10^10 values in a few bytes); a record with more is dead-lettered as record-too-large',
  }),
  CONSUMER_MAX_SCHEMA_EXPANSION: documented(z.coerce.number().min(1).default(1_000), {
    group: 'saga',
    description:
      "values one byte of a record may stand for under its writer's schema, worked out once per schema id (records of records of nulls are many values in no bytes); records of a schema over it are dead-lettered as incompatible-schema before any is read",
  }),
  CONSUMER_SESSION_TIMEOUT_MS: documented(z.coerce.number().int().min(3_000).default(30_000), {
    group: 'saga',
    description: 'kafkajs group session timeout; lower means faster rebalances after a crash',
  }),
  CONSUMER_HEARTBEAT_INTERVAL_MS: documented(z.coerce.number().int().min(100).default(3_000), {
    group: 'saga',
    description: 'kafkajs heartbeat interval',
  }),
};

export type SagaSettings = SettingsOf<typeof sagaKeys>;

export function sagaOptions(config: SagaSettings) {
  const stepTimeouts: StepTimeouts = {
    payment: config.SAGA_PAYMENT_TIMEOUT_MS,
    inventory: config.SAGA_INVENTORY_TIMEOUT_MS,
  };
  const retries = {
    retryMinMs: config.CONSUMER_RETRY_MIN_MS,
    retryMaxMs: config.CONSUMER_RETRY_MAX_MS,
  };
  const recordLimits: RecordLimits = {
    maxRecordBytes: config.CONSUMER_MAX_RECORD_BYTES,
    maxItems: config.CONSUMER_MAX_ITEMS,
    maxStringBytes: config.CONSUMER_MAX_STRING_BYTES,
    maxNodes: config.CONSUMER_MAX_NODES,
    maxDepth: DEFAULT_AVRO_BOUNDS.maxDepth,
  };
  const processor: Omit<RecordProcessorOptions, 'topicPrefix'> = {
    groupId: config.SAGA_CONSUMER_GROUP,
    maxUnknownAttempts: config.CONSUMER_MAX_UNKNOWN_ATTEMPTS,
    maxBatchSize: config.SAGA_BATCH_SIZE,
    ...retries,
  };
  const consumer: SagaConsumerOptions = {
    groupId: config.SAGA_CONSUMER_GROUP,
    partitionsConcurrency: config.SAGA_PARTITIONS_CONCURRENCY,
    sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: config.CONSUMER_HEARTBEAT_INTERVAL_MS,
    ...retries,
  };
  const sweeper: DeadlineSweeperOptions = {
    intervalMs: config.SAGA_SWEEP_INTERVAL_MS,
    batchSize: config.SAGA_SWEEP_BATCH_SIZE,
    retryMinMs: config.SAGA_SWEEP_INTERVAL_MS,
    retryMaxMs: Math.max(config.SAGA_SWEEP_INTERVAL_MS, config.CONSUMER_RETRY_MAX_MS),
  };
  return {
    consumerGroup: config.SAGA_CONSUMER_GROUP,
    stepTimeouts,
    recordLimits,
    maxSchemaExpansion: config.CONSUMER_MAX_SCHEMA_EXPANSION,
    processor,
    consumer,
    sweeper,
  };
}
