import { CompressionTypes } from 'kafkajs';
import type { Logger } from '../shared/logger';
import { createKafka, type KafkaOptions } from './kafka-client-factory';
import { createGuardedProducer, type BreakerOptions } from './guarded-producer';
import { createEventEncoder } from './event-encoder';
import { registerSchemas } from './schema-registration';
import {
  createRegistryClient,
  type CompatibilityLevel,
  type RegistryConnection,
} from './schema-registry-client';
import { PRODUCED_TOPICS, type SagaTopic } from './topics';

export interface MessagingOptions {
  kafka: Omit<KafkaOptions, 'logger' | 'retry'>;
  registry: RegistryConnection;
  breaker: BreakerOptions;
  idempotentProducer: boolean;
  topicPrefix: string;
  /** Set on each produced subject before its schema is registered. */
  compatibility: CompatibilityLevel;
}

/** Kafka client, registry client, the two breaker-guarded producers and encoder. */
export function createMessaging(options: MessagingOptions, logger: Logger) {
  const kafka = createKafka({ ...options.kafka, logger });
  const registryClient = createRegistryClient({ ...options.registry, retries: 2 });
  const { registry } = registryClient;
  const breaker = { ...options.breaker, idempotent: options.idempotentProducer };
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
      topicPrefix: options.topicPrefix,
      compatibility: options.compatibility,
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
