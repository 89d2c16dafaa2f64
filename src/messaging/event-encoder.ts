import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Type } from 'avsc';
import { withCode } from '../shared/app-error';
import { createFrameWriter } from './confluent-frame';
import type { SagaTopic } from './topics';

/** The row names a topic this service has no schema for: no retry can ever encode it. */
export class UnknownTopicError extends withCode('unknown-topic') {}
/** The payload does not fit its topic's schema (a bug): no retry can ever encode it. */
export class PayloadSchemaMismatchError extends withCode('payload-does-not-fit-schema') {}

/**
 * Confluent framing (magic byte, schema id, Avro body) with the id registered for each topic.
 * Throws UnknownTopicError or PayloadSchemaMismatchError; never reaches the registry.
 */
export type EncodeEvent = (topic: string, payload: object) => Buffer;

export interface EventEncoder {
  /**
   * An encoder for one batch of records on `topics`: the registry is consulted here, once for
   * the batch (its outage rejects this promise), and each value is then encoded at once, with no
   * promise per record (the relay encodes thousands a second).
   */
  forTopics(topics: Iterable<string>): Promise<EncodeEvent>;
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
  // One writer for every batch: it only appends, so values of batches still in flight stay
  // intact, and a one-row batch does not take a fresh slab.
  const frame = createFrameWriter();
  return {
    async forTopics(topics) {
      const ids = await resolveSchemaIds();
      const schemas = new Map<string, { id: number; type: Type }>();
      for (const topic of new Set(topics)) {
        const id = ids.get(topic as SagaTopic);
        // The registry client's schema for an Avro id is an avsc Type (it remembers it by id).
        if (id !== undefined)
          schemas.set(topic, { id, type: (await registry.getSchema(id)) as Type });
      }
      return (topic, payload) => {
        const schema = schemas.get(topic);
        if (!schema) throw new UnknownTopicError(`no schema registered for topic ${topic}`);
        try {
          return frame(schema.id, schema.type, payload);
        } catch (error) {
          throw new PayloadSchemaMismatchError('payload does not match the topic schema', {
            cause: error,
          });
        }
      };
    },
  };
}
