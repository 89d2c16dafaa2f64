import { adminOptions } from './admin';
import { authOptions } from './auth';
import { breakerOptions } from './breaker';
import { consoleOptions } from './console';
import type { MessagingOptions } from '../messaging/messaging-factory';
import type { Config } from './config-schema';
import { httpOptions } from './http';
import { kafkaOptions } from './kafka';
import { outboxOptions } from './outbox';
import { postgresOptions } from './postgres';
import { processOptions } from './process';
import { registryOptions } from './registry';
import { sagaOptions } from './saga';

/**
 * Each part's options, built by the part that owns the keys: the composition root wires parts
 * together with these and never reads a key itself. A new part adds its entry here.
 */
export function serviceOptions(config: Config) {
  const kafka = kafkaOptions(config);
  const registry = registryOptions(config);
  const messaging: MessagingOptions = {
    kafka: kafka.client,
    registry: registry.connection,
    compatibility: registry.compatibility,
    breaker: breakerOptions(config),
    idempotentProducer: kafka.idempotentProducer,
    topicPrefix: kafka.topicPrefix,
  };
  return {
    process: processOptions(config),
    http: httpOptions(config),
    admin: adminOptions(config),
    auth: authOptions(config),
    postgres: postgresOptions(config),
    kafka,
    /** The Kafka and registry clients and the breakers around every send, built together. */
    messaging,
    outbox: outboxOptions(config),
    saga: sagaOptions(config),
    /** The operator console (served on the admin port). */
    console: consoleOptions(config),
  };
}

export type ServiceOptions = ReturnType<typeof serviceOptions>;
