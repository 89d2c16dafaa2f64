import { CompressionTypes } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import { createKafka, kafkaSecurityOf } from './kafka-client-factory';
import { createGuardedProducer } from './guarded-producer';
import { createEventEncoder } from './event-encoder';
import { registerSchemas } from './schema-registration';
import { createRegistryClient, registryConnectionOf } from './schema-registry-client';
import { PRODUCED_TOPICS, type SagaTopic } from './topics';

/** Kafka client, registry client, the two breaker-guarded producers and encoder, from one config. */
export function createMessaging(config: Config, logger: Logger) {
  const kafka = createKafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
    security: kafkaSecurityOf(config),
    logger,
  });
  const registryClient = createRegistryClient({ ...registryConnectionOf(config), retries: 2 });
  const { registry } = registryClient;
  const breaker = {
    timeoutMs: config.BREAKER_TIMEOUT_MS,
    errorThresholdPercentage: config.BREAKER_ERROR_THRESHOLD_PERCENT,
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: config.BREAKER_RESET_TIMEOUT_MS,
    rollingCountTimeoutMs: config.BREAKER_ROLLING_WINDOW_MS,
    idempotent: config.KAFKA_IDEMPOTENT_PRODUCER,
  };
  const producer = createGuardedProducer(kafka, breaker, logger.child({ namespace: 'Producer' }));
  // Dead letters have a producer and breaker of their own: a DLQ topic that refuses writes
  // must not open the relay's breaker, nor a relay outage count against dead-lettering. Gzip
  // because kafkajs has it built in (zstd, lz4 and snappy need codec packages), and a dead
  // letter repeats the record's value and headers, which compress well.
  const deadLetterProducer = createGuardedProducer(
    kafka,
    { ...breaker, name: 'dead-letter-producer', compression: CompressionTypes.GZIP },
    logger.child({ namespace: 'DeadLetterProducer' }),
  );
  // Memoized once it succeeds: start-up registers, the encoder reuses the ids (or retries).
  let registered: Promise<ReadonlyMap<SagaTopic, number>> | undefined;
  const registerProducedSchemas = () =>
    (registered ??= registerSchemas(registryClient, PRODUCED_TOPICS, {
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      compatibility: config.SCHEMA_COMPATIBILITY,
      logger: logger.child({ namespace: 'SchemaRegistry' }),
    }).catch((error: unknown) => {
      registered = undefined;
      throw error;
    }));
  const encoder = createEventEncoder(registry, registerProducedSchemas);
  return {
    kafka,
    registry,
    registryClient,
    producer,
    deadLetterProducer,
    encoder,
    registerProducedSchemas,
  };
}

export type Messaging = ReturnType<typeof createMessaging>;
