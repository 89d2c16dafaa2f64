import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import { createKafka, kafkaSecurityOf } from './kafka-client-factory';
import { createGuardedProducer } from './guarded-producer';
import { createEventEncoder } from './event-encoder';
import { registerSchemas } from './schema-registration';
import { createRegistryClient, registryConnectionOf } from './schema-registry-client';
import { PRODUCED_TOPICS, type SagaTopic } from './topics';

/** Kafka client, registry client, breaker-guarded producer and encoder, from one config. */
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
  const producer = createGuardedProducer(
    kafka,
    {
      timeoutMs: config.BREAKER_TIMEOUT_MS,
      errorThresholdPercentage: config.BREAKER_ERROR_THRESHOLD_PERCENT,
      volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
      resetTimeoutMs: config.BREAKER_RESET_TIMEOUT_MS,
      rollingCountTimeoutMs: config.BREAKER_ROLLING_WINDOW_MS,
      idempotent: config.KAFKA_IDEMPOTENT_PRODUCER,
    },
    logger.child({ namespace: 'Producer' }),
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
  return { kafka, registry, producer, encoder, registerProducedSchemas };
}

export type Messaging = ReturnType<typeof createMessaging>;
