import { loadAvroSchema } from './avro-schemas';
import { DLQ_HEADERS } from './dead-letter-headers';
import {
  CONSUMED_TOPICS,
  deadLetterTopic,
  physicalTopic,
  PRODUCED_TOPICS,
  type SagaTopic,
} from './topics';

/**
 * The Kafka contract as an AsyncAPI 3.0 document, the format peer teams read event APIs in, as
 * REST teams read OpenAPI. Built from what the code uses: the topic lists (topics.ts, from the
 * saga's vocabulary), the Avro schemas in `schemas/` and the dead-letter headers. Served on the
 * admin port at ASYNCAPI_PATH with the running service's prefix and group; docs/asyncapi.json
 * is the same document with the defaults (`npm run docs:asyncapi`).
 */
export const ASYNCAPI_PATH = '/asyncapi.json';

export interface AsyncApiSettings {
  /** KAFKA_TOPIC_PREFIX: every channel's address starts with it. */
  topicPrefix: string;
  /** SAGA_CONSUMER_GROUP: the group every instance consumes the replies in. */
  consumerGroup: string;
  /** KAFKA_CLIENT_ID. */
  clientId: string;
  /** The service's version (package.json). */
  version: string;
}

const AVRO_FORMAT = 'application/vnd.apache.avro;version=1.9.0';
const KAFKA_BINDING_VERSION = '0.5.0';

/** The key every record carries, and how the value names its schema (Confluent framing). */
const RECORD_BINDING = {
  kafka: {
    key: {
      type: 'string',
      description: 'The order id: all of one order’s records share a partition.',
    },
    schemaIdLocation: 'payload',
    schemaIdPayloadEncoding: 'confluent',
    schemaLookupStrategy: 'TopicIdStrategy',
    bindingVersion: KAFKA_BINDING_VERSION,
  },
};

const TRACEPARENT = {
  type: 'string',
  description:
    'W3C trace context, when tracing is on. A peer that copies it (and tracestate) from a request onto its reply continues the order’s trace.',
};

const PRODUCED_HEADERS = (topic: SagaTopic) => ({
  type: 'object',
  properties: {
    'event-id': {
      type: 'string',
      description: 'The record’s eventId; consumers deduplicate on it.',
    },
    'event-type': { type: 'string', const: topic, description: 'The logical topic name.' },
    traceparent: TRACEPARENT,
  },
  required: ['event-id', 'event-type'],
});

const CONSUMED_HEADERS = {
  type: 'object',
  description: 'No header is required; the service reads only traceparent.',
  properties: { traceparent: TRACEPARENT },
};

const DLQ_HEADER_TEXT: Record<keyof typeof DLQ_HEADERS, string> = {
  originalTopic: 'The topic the record was consumed from.',
  originalPartition: 'Its partition.',
  originalOffset: 'Its offset.',
  originalTimestamp: 'Its timestamp, epoch milliseconds.',
  consumerGroup: 'The consumer group that failed it.',
  errorClass:
    'Why: not-confluent-avro, unknown-schema-id, incompatible-schema, record-too-large, invalid-record, unknown-order, event-id-collision, or the class of an unknown error.',
  errorMessage: 'The error’s message, with credentials redacted, truncated to 1,000 characters.',
  attempts: 'How many times it was tried.',
  firstFailureAt: 'When it first failed, ISO 8601.',
  lastFailureAt: 'When it last failed, ISO 8601.',
  serviceVersion: 'The version of the service that dead-lettered it.',
  replayedFrom:
    'Only on a record the DLQ tool replayed to its original topic: <dlq topic>/<partition>/<offset>.',
  replayedAt: 'Only on a replayed record: when it was replayed.',
  droppedHeaders:
    'Only when the original record had more headers than a dead letter copies: the names left out.',
  stub: 'Only on a stub: why the whole dead letter was not written (the broker refused its size). A stub carries the first bytes of the value only.',
  valueSha256: 'On a stub: the SHA-256 (hex) of the whole original value.',
  valueBytes: 'On a stub: the length in bytes of the whole original value.',
};

/** `process_payment_request` → `ProcessPaymentRequest`: operation and message ids. */
function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, _sep: string, letter: string) => letter.toUpperCase());
}

function recordMessage(topic: SagaTopic, headers: object) {
  const schema = loadAvroSchema(topic);
  return {
    name: schema.name,
    title: topic,
    summary: (schema as { doc?: string }).doc,
    description: `Confluent-framed Avro (magic byte 0, 4-byte schema id, Avro binary body), registered under subject <prefix>${topic}-value.`,
    headers,
    payload: { schemaFormat: AVRO_FORMAT, schema },
    bindings: RECORD_BINDING,
  };
}

function deadLetterMessage(topic: SagaTopic) {
  const dlqHeaders = Object.fromEntries(
    Object.entries(DLQ_HEADERS).map(([field, header]) => [
      header,
      { type: 'string', description: DLQ_HEADER_TEXT[field as keyof typeof DLQ_HEADERS] },
    ]),
  );
  const required = Object.entries(DLQ_HEADERS)
    .filter(([field]) => !field.startsWith('replayed'))
    .map(([, header]) => header);
  return {
    name: `${pascal(topic)}DeadLetter`,
    title: deadLetterTopic(topic),
    summary: `A ${topic} record the service could not process, kept as it came.`,
    description:
      'The original key, value bytes and headers, unchanged (usually Confluent-framed Avro, but whatever could not be processed), plus the dlq-* headers. Operators replay or skip these with `npm run dlq`.',
    headers: { type: 'object', properties: dlqHeaders, required },
    payload: { type: 'string', format: 'binary', description: 'The original value bytes.' },
    bindings: {
      kafka: {
        key: { type: 'string', description: 'The original key: the order id.' },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
  };
}

interface Entry {
  id: string;
  address: string;
  description: string;
  action: 'send' | 'receive';
  message: object;
}

/** The AsyncAPI 3.0 document of every topic the service produces and consumes. */
export function asyncApiDocument(settings: AsyncApiSettings) {
  const { topicPrefix, consumerGroup, clientId, version } = settings;
  const address = (topic: string) => physicalTopic(topicPrefix, topic);
  const entries: Entry[] = [
    ...PRODUCED_TOPICS.map((topic) => ({
      id: topic,
      address: address(topic),
      description: `Produced by the order service, through its outbox: at least once, in write order per order.`,
      action: 'send' as const,
      message: recordMessage(topic, PRODUCED_HEADERS(topic)),
    })),
    ...CONSUMED_TOPICS.map((topic) => ({
      id: topic,
      address: address(topic),
      description: `A peer's reply, consumed by the saga consumer; records that can never be processed go to ${address(deadLetterTopic(topic))}.`,
      action: 'receive' as const,
      message: recordMessage(topic, CONSUMED_HEADERS),
    })),
    ...CONSUMED_TOPICS.map((topic) => ({
      id: deadLetterTopic(topic),
      address: address(deadLetterTopic(topic)),
      description: `Dead letters of ${address(topic)}, written by the order service.`,
      action: 'send' as const,
      message: deadLetterMessage(topic),
    })),
  ];
  const receiveBinding = {
    kafka: {
      groupId: { type: 'string', enum: [consumerGroup] },
      clientId: { type: 'string', enum: [clientId] },
      bindingVersion: KAFKA_BINDING_VERSION,
    },
  };
  const sendBinding = {
    kafka: {
      clientId: { type: 'string', enum: [clientId] },
      bindingVersion: KAFKA_BINDING_VERSION,
    },
  };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Order service: Kafka contract',
      version,
      description: [
        'Every topic the order service produces and consumes. Every record is keyed by the order id and carries a unique eventId; consumers deduplicate on it (delivery is at least once).',
        `Topic names start with the configured prefix (KAFKA_TOPIC_PREFIX, ${topicPrefix ? `here "${topicPrefix}"` : 'empty by default'}). Values are Avro in Confluent framing through a Confluent-compatible schema registry; a peer may write its replies with any schema that resolves against the one given here (any namespace, fields of its own skipped).`,
        'The prose, with the rules for schema evolution and the bounds on what a record may hold: docs/kafka-contract.md.',
      ].join('\n\n'),
    },
    channels: Object.fromEntries(
      entries.map(({ id, address, description }) => [
        id,
        {
          address,
          description,
          messages: { [pascal(id)]: { $ref: `#/components/messages/${pascal(id)}` } },
        },
      ]),
    ),
    operations: Object.fromEntries(
      entries.map(({ id, action }) => [
        `${action}${pascal(id)}`,
        {
          action,
          channel: { $ref: `#/channels/${id}` },
          messages: [{ $ref: `#/channels/${id}/messages/${pascal(id)}` }],
          bindings: action === 'receive' ? receiveBinding : sendBinding,
        },
      ]),
    ),
    components: {
      messages: Object.fromEntries(entries.map(({ id, message }) => [pascal(id), message])),
    },
  };
}
