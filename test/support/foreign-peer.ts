/**
 * A payment service and an inventory service as another team would write them against the
 * documented contract, and nothing else: their own Avro schemas (test/fixtures/foreign-peer,
 * other namespaces, other field order, fields of their own), registered by them under the
 * topics' subjects through the registry's REST API, records framed by hand, our requests read by
 * Avro schema resolution against their own reader schemas. No code of the service or of its own
 * simulators is used, so the contract tests cannot pass on shared quirks.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro, { type Type } from 'avsc';
import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';

const FIXTURES = path.resolve(__dirname, '../fixtures/foreign-peer');

export type RequestTopic =
  | 'process_payment_request'
  | 'refund_payment_request'
  | 'reserve_inventory_request'
  | 'release_inventory_request';
export type ReplyTopic =
  | 'payment_successful'
  | 'payment_failed'
  | 'payment_refunded'
  | 'inventory_reserved'
  | 'inventory_reservation_failed';

export interface ForeignRequest {
  topic: RequestTopic;
  value: Record<string, unknown>;
}

/** What the peer answers a request with: a reply, or nothing (yet). */
export type ForeignReply = { topic: ReplyTopic; fields: Record<string, unknown> } | null;

export interface ForeignPeers {
  /** Every request received, decoded with the peer's own reader schemas. */
  requests: ForeignRequest[];
  /** Sends a reply now (for replies the policy held back). */
  reply(topic: ReplyTopic, fields: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export interface ForeignPeerOptions {
  brokers: string[];
  registryUrl: string;
  topicPrefix: string;
  /** The peer's business rules: what to answer each request with. */
  answer(request: ForeignRequest): ForeignReply;
}

const REQUESTS: readonly RequestTopic[] = [
  'process_payment_request',
  'refund_payment_request',
  'reserve_inventory_request',
  'release_inventory_request',
];
const REPLIES: readonly ReplyTopic[] = [
  'payment_successful',
  'payment_failed',
  'payment_refunded',
  'inventory_reserved',
  'inventory_reservation_failed',
];

function fixture(topic: string): Type {
  return avro.Type.forSchema(
    JSON.parse(readFileSync(path.join(FIXTURES, `${topic}.avsc`), 'utf8')),
  );
}

async function registryCall(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`registry ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function startForeignPeers(options: ForeignPeerOptions): Promise<ForeignPeers> {
  const { registryUrl, topicPrefix } = options;
  const writers = new Map<ReplyTopic, { type: Type; id: number }>();
  for (const topic of REPLIES) {
    const type = fixture(topic);
    const { id } = await registryCall(
      `${registryUrl}/subjects/${encodeURIComponent(`${topicPrefix}${topic}-value`)}/versions`,
      { method: 'POST', body: JSON.stringify({ schema: JSON.stringify(type.schema()) }) },
    );
    writers.set(topic, { type, id: id as number });
  }
  const readers = new Map(REQUESTS.map((topic) => [topic, fixture(topic)]));
  const resolvers = new Map<string, unknown>();
  const resolverFor = async (topic: RequestTopic, schemaId: number) => {
    const key = `${topic}/${schemaId}`;
    if (!resolvers.has(key)) {
      const { schema } = await registryCall(`${registryUrl}/schemas/ids/${schemaId}`);
      const writer = avro.Type.forSchema(JSON.parse(schema as string));
      const reader = readers.get(topic) as Type;
      const createResolver = reader.createResolver as unknown as (
        w: Type,
        o: { ignoreNamespaces: boolean },
      ) => unknown;
      resolvers.set(key, createResolver.call(reader, writer, { ignoreNamespaces: true }));
    }
    return resolvers.get(key);
  };

  const kafka = new Kafka({
    clientId: 'acme',
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer: Consumer = kafka.consumer({
    groupId: `acme-${randomUUID()}`,
    sessionTimeout: 6_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  });
  const requests: ForeignRequest[] = [];

  const reply = async (topic: ReplyTopic, fields: Record<string, unknown>): Promise<void> => {
    const { type, id } = writers.get(topic) as { type: Type; id: number };
    const value: Record<string, unknown> = {
      eventId: randomUUID(),
      occurredAt: Date.now(),
      ...fields,
    };
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    await producer.send({
      topic: `${topicPrefix}${topic}`,
      messages: [
        { key: String(value.orderId), value: Buffer.concat([header, type.toBuffer(value)]) },
      ],
    });
  };

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({
    topics: REQUESTS.map((topic) => `${topicPrefix}${topic}`),
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ topic: physical, message }) => {
      const topic = physical.slice(topicPrefix.length) as RequestTopic;
      const bytes = message.value as Buffer;
      const resolver = await resolverFor(topic, bytes.readInt32BE(1));
      const decoded = (readers.get(topic) as Type).fromBuffer(bytes.subarray(5), resolver as never);
      const request = { topic, value: { ...(decoded as Record<string, unknown>) } };
      requests.push(request);
      const answer = options.answer(request);
      if (answer) await reply(answer.topic, answer.fields);
    },
  });
  return {
    requests,
    reply,
    async stop() {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
