import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { SagaTopic } from './topics';

/** Confluent framing (magic byte, schema id, Avro body) with the id registered for the topic. */
export interface EventEncoder {
  encode(topic: string, payload: object): Promise<Buffer>;
}

/**
 * `resolveSchemaIds` registers (or looks up) the schemas. It is retried on the next encode
 * until it succeeds once, so a registry that is down at start-up delays publishing, not intake.
 */
export function createEventEncoder(
  registry: SchemaRegistry,
  resolveSchemaIds: () => Promise<ReadonlyMap<SagaTopic, number>>,
): EventEncoder {
  let schemaIds: Promise<ReadonlyMap<SagaTopic, number>> | undefined;
  return {
    async encode(topic, payload) {
      schemaIds ??= resolveSchemaIds().catch((error: unknown) => {
        schemaIds = undefined;
        throw error;
      });
      const id = (await schemaIds).get(topic as SagaTopic);
      if (id === undefined) throw new Error(`no schema registered for topic ${topic}`);
      return registry.encode(id, payload);
    },
  };
}
