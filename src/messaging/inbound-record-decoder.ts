import type { KafkaMessage } from 'kafkajs';
import avro, { type Type } from 'avsc';
import { ZodError } from 'zod';
import { INBOUND_EVENT_PARSERS, type InboundEvent } from '../domain/inbound-events';
import { loadAvroSchema } from './avro-schemas';
import { checkAvroBounds, type AvroBounds } from './avro-bounds';
import { readConfluentFrame } from './confluent-frame';
import { PoisonRecordError } from './failure-policy';
import { errorMessage } from '../shared/app-error';
import { subjectFor, type ConsumedTopic } from './topics';
import { DEFAULT_SCHEMA_CACHE_ENTRIES, type WriterSchemas } from './writer-schemas';
import { LruCache } from '../shared/lru-cache';

export interface RecordLimits extends AvroBounds {
  /** Bytes in one record value, framing included. */
  maxRecordBytes: number;
}

export interface DecoderOptions extends RecordLimits {
  /** Writer schemas are accepted only under `<prefix><topic>-value` (TopicNameStrategy). */
  topicPrefix: string;
}

export interface InboundRecordDecoder {
  /** Bytes to a validated saga input, or a PoisonRecordError saying what is wrong with them. */
  decode(topic: ConsumedTopic, message: KafkaMessage): Promise<InboundEvent>;
}

/** avsc >= 5.7.3 takes this option; its type definitions lack it. */
type CreateResolver = (writer: Type, options: { ignoreNamespaces: boolean }) => Resolver;
type Resolver = object;

/**
 * Decodes what peers send the way the Avro specification's schema resolution defines it: the
 * writer's schema (from the registry, by the id in the frame) is resolved against our reader
 * schema, `schemas/<topic>.avsc`. Records match by unqualified name or the reader's aliases
 * (peers generate classes into namespaces of their own), fields by name or alias in any order;
 * writer fields we do not know are skipped, reader fields the writer lacks take their defaults,
 * and the result holds only the reader's fields.
 *
 * Every way the record itself can be wrong becomes a PoisonRecordError with a code operators
 * can filter the DLQ by; a registry outage is left as it is, so the failure policy retries it.
 * Before anything is decoded, the writer schema must be registered under the topic's own
 * subject and within the expansion bound (incompatible-schema; both checked once per id), and
 * the record is held to `limits` (record-too-large).
 */
export function createInboundRecordDecoder(
  writers: WriterSchemas,
  limits: DecoderOptions,
): InboundRecordDecoder {
  const readers = new Map<ConsumedTopic, Type>();
  /** Per topic and writer schema id: the resolver, or why the writer does not resolve. */
  const resolutions = new LruCache<string, Resolver | PoisonRecordError>(
    DEFAULT_SCHEMA_CACHE_ENTRIES,
  );

  const readerFor = (topic: ConsumedTopic): Type => {
    let reader = readers.get(topic);
    if (!reader) {
      reader = avro.Type.forSchema(loadAvroSchema(topic) as avro.Schema);
      readers.set(topic, reader);
    }
    return reader;
  };

  const resolverFor = (topic: ConsumedTopic, schemaId: number, writer: unknown): Resolver => {
    const key = `${topic}/${schemaId}`;
    let resolution = resolutions.get(key);
    if (!resolution) {
      resolution = resolve(readerFor(topic), schemaId, writer);
      resolutions.set(key, resolution);
    }
    if (resolution instanceof PoisonRecordError) throw resolution;
    return resolution;
  };

  return {
    async decode(topic, message) {
      const { value } = message;
      if (value && value.length > limits.maxRecordBytes) {
        throw new PoisonRecordError(
          'record-too-large',
          `The value has ${value.length} bytes, more than ${limits.maxRecordBytes}`,
        );
      }
      const frame = readConfluentFrame(value);
      if (!frame) {
        throw new PoisonRecordError('not-confluent-avro', 'The value is not Confluent-framed Avro');
      }
      const { schemaId, body } = frame;
      const writer = await writers.writer(schemaId);
      await writers.requireSubject(subjectFor(limits.topicPrefix, topic), schemaId);
      const resolver = resolverFor(topic, schemaId, writer);
      const bounds = checkAvroBounds(writer as Type, body, limits);
      if (!bounds.ok) {
        throw new PoisonRecordError(
          bounds.kind === 'too-large' ? 'record-too-large' : 'not-confluent-avro',
          `The value of schema id ${schemaId} is refused before decoding: ${bounds.reason}`,
        );
      }
      let payload: unknown;
      try {
        payload = readerFor(topic).fromBuffer(body, resolver as never, false);
      } catch (error) {
        throw new PoisonRecordError(
          'not-confluent-avro',
          `The value does not decode as Avro with schema id ${schemaId}`,
          { cause: error },
        );
      }
      return parse(topic, payload);
    },
  };
}

function resolve(reader: Type, schemaId: number, writer: unknown): Resolver | PoisonRecordError {
  const readerName = reader.name ?? reader.typeName;
  if (!avro.Type.isType(writer)) {
    return new PoisonRecordError(
      'incompatible-schema',
      `Schema id ${schemaId} is not an Avro schema; ${readerName} is read from Avro only`,
    );
  }
  const writerType = writer as Type;
  const writerName = writerType.name ?? writerType.typeName;
  try {
    return (reader.createResolver as unknown as CreateResolver).call(reader, writerType, {
      ignoreNamespaces: true,
    });
  } catch (error) {
    return new PoisonRecordError(
      'incompatible-schema',
      `Writer schema ${writerName} (id ${schemaId}) does not resolve against ${readerName}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

function parse(topic: ConsumedTopic, payload: unknown): InboundEvent {
  try {
    return INBOUND_EVENT_PARSERS[topic](payload);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const fields = error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new PoisonRecordError(
      'invalid-record',
      `The record does not fit ${topic}: ${fields.join('; ')}`,
      { cause: error },
    );
  }
}
