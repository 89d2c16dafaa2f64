import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { SagaTopic } from './topics';

/** The row names a topic this service has no schema for: no retry can ever encode it. */
export class UnknownTopicError extends Error {
  override name = 'UnknownTopicError';
  constructor(readonly topic: string) {
    super(`no schema registered for topic ${topic}`);
  }
}

/** Confluent framing (magic byte, schema id, Avro body) with the id registered for the topic. */
export interface EventEncoder {
  encode(topic: string, payload: object): Promise<Buffer>;
}

/**
 * `resolveSchemaIds` registers (or looks up) the schemas; it is expected to remember its
 * success and to try again after a failure, so a registry that is down at start-up delays
 * publishing, not intake.
 */
export function createEventEncoder(
  registry: SchemaRegistry,
  resolveSchemaIds: () => Promise<ReadonlyMap<SagaTopic, number>>,
): EventEncoder {
  return {
    async encode(topic, payload) {
      const id = (await resolveSchemaIds()).get(topic as SagaTopic);
      if (id === undefined) throw new UnknownTopicError(topic);
      return registry.encode(id, payload);
    },
  };
}
