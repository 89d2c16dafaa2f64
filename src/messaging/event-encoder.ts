import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { withCode } from '../shared/app-error';
import type { SagaTopic } from './topics';

/** The row names a topic this service has no schema for: no retry can ever encode it. */
export class UnknownTopicError extends withCode('unknown-topic') {}
/** The payload does not fit its topic's schema (a bug): no retry can ever encode it. */
export class PayloadSchemaMismatchError extends withCode('payload-does-not-fit-schema') {}

/** Confluent framing (magic byte, schema id, Avro body) with the id registered for the topic. */
export interface EventEncoder {
  encode(topic: string, payload: object): Promise<Buffer>;
}

/**
 * `resolveSchemaIds` registers (or looks up) the schemas; it is expected to remember its
 * success and to try again after a failure, so a registry that is down at start-up delays
 * publishing, not intake. Anything else that fails is the registry's outage, left as it is.
 */
export function createEventEncoder(
  registry: SchemaRegistry,
  resolveSchemaIds: () => Promise<ReadonlyMap<SagaTopic, number>>,
): EventEncoder {
  return {
    async encode(topic, payload) {
      const id = (await resolveSchemaIds()).get(topic as SagaTopic);
      if (id === undefined) throw new UnknownTopicError(`no schema registered for topic ${topic}`);
      try {
        return await registry.encode(id, payload);
      } catch (error) {
        // The client's own validation error (its dist/errors class): the payload is wrong.
        if ((error as Error).name === 'ConfluentSchemaRegistryValidationError') {
          throw new PayloadSchemaMismatchError('payload does not match the topic schema', {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}
