import type { KafkaMessage } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ZodError } from 'zod';
import { INBOUND_EVENT_PARSERS, type InboundEvent } from '../../domain/inbound-events';
import { loadAvroSchema } from '../../messaging/avro-schemas';
import { PoisonRecordError } from '../../messaging/failure-policy';
import type { ConsumedTopic } from '../../messaging/topics';

/**
 * Bytes to a validated saga input. Every way the record itself can be wrong becomes a
 * PoisonRecordError with a code operators can filter the DLQ by; a registry outage is
 * left as it is, so the failure policy retries it.
 *
 * The schema is fetched first and the body decoded second, so that only the registry call can
 * fail for reasons outside the record: anything the decoding throws is about the bytes.
 */
export async function decodeInboundRecord(
  registry: SchemaRegistry,
  topic: ConsumedTopic,
  message: KafkaMessage,
): Promise<InboundEvent> {
  const { value } = message;
  if (!value || value.length < 5 || value[0] !== 0) {
    throw new PoisonRecordError('not-confluent-avro', 'The value is not Confluent-framed Avro');
  }
  const schemaId = value.readInt32BE(1);
  let writer: Awaited<ReturnType<SchemaRegistry['getSchema']>>;
  try {
    writer = await registry.getSchema(schemaId);
  } catch (error) {
    if ((error as { status?: number }).status === 404) {
      throw new PoisonRecordError(
        'unknown-schema-id',
        `Schema id ${schemaId} is not in the registry`,
        { cause: error },
      );
    }
    throw error;
  }
  // A record written with another record type (another topic's schema) may even have the same
  // fields; Avro tells them apart by the record's full name, which schema evolution keeps.
  const writerName = (writer as { name?: unknown }).name;
  const expected = acceptedRecordNames(topic);
  if (typeof writerName !== 'string' || !expected.has(writerName)) {
    throw new PoisonRecordError(
      'wrong-schema',
      `Schema id ${schemaId} is ${typeof writerName === 'string' ? writerName : 'not an Avro record'}, ` +
        `not the ${[...expected][0]} that ${topic} carries`,
    );
  }
  let payload: unknown;
  try {
    payload = writer.fromBuffer(value.subarray(5));
  } catch (error) {
    throw new PoisonRecordError(
      'not-confluent-avro',
      `The value does not decode as Avro with schema id ${schemaId}`,
      { cause: error },
    );
  }
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
      {
        cause: error,
      },
    );
  }
}

const recordNames = new Map<ConsumedTopic, ReadonlySet<string>>();

/** The full name of the topic's record type (`schemas/<topic>.avsc`), and its aliases. */
function acceptedRecordNames(topic: ConsumedTopic): ReadonlySet<string> {
  let names = recordNames.get(topic);
  if (!names) {
    const schema = loadAvroSchema(topic) as {
      name: string;
      namespace?: string;
      aliases?: string[];
    };
    const qualify = (name: string) =>
      name.includes('.') || !schema.namespace ? name : `${schema.namespace}.${name}`;
    names = new Set([schema.name, ...(schema.aliases ?? [])].map(qualify));
    recordNames.set(topic, names);
  }
  return names;
}
