import type { KafkaMessage } from 'kafkajs';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ConfluentSchemaRegistryArgumentError } from '@kafkajs/confluent-schema-registry/dist/errors';
import { ZodError } from 'zod';
import { INBOUND_EVENT_PARSERS, type InboundEvent } from '../../domain/inbound-events';
import { PoisonRecordError } from '../../messaging/failure-policy';
import type { ConsumedTopic } from '../../messaging/topics';

/**
 * Bytes to a validated saga input. Every way the record itself can be wrong becomes a
 * PoisonRecordError with a code operators can filter the DLQ by; a registry outage is
 * left as it is, so the failure policy retries it.
 */
export async function decodeInboundRecord(
  registry: SchemaRegistry,
  topic: ConsumedTopic,
  message: KafkaMessage,
): Promise<InboundEvent> {
  if (!message.value || message.value.length < 5 || message.value[0] !== 0) {
    throw new PoisonRecordError('not-confluent-avro', 'The value is not Confluent-framed Avro');
  }
  let payload: unknown;
  try {
    payload = await registry.decode(message.value);
  } catch (error) {
    if ((error as { status?: number }).status === 404) {
      const schemaId = message.value.readInt32BE(1);
      throw new PoisonRecordError(
        'unknown-schema-id',
        `Schema id ${schemaId} is not in the registry`,
        { cause: error },
      );
    }
    if (error instanceof ConfluentSchemaRegistryArgumentError || error instanceof RangeError) {
      throw new PoisonRecordError('not-confluent-avro', 'The value does not decode as Avro', {
        cause: error,
      });
    }
    throw error;
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
