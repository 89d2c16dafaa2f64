import { randomUUID } from 'node:crypto';
import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { loadAvroSchema } from '../../src/messaging/avro-schemas';
import { createRegistryClient } from '../../src/messaging/schema-registry-client';
import {
  CONSUMED_TOPICS,
  physicalTopic,
  subjectFor,
  type ConsumedTopic,
} from '../../src/messaging/topics';
import { ensureTopics } from './service-topics';

/**
 * Plays the payment and inventory services in tests: registers their schemas under the test's
 * prefix, creates the reply topics if need be, and produces their replies as Avro, keyed by
 * order id, the way a real peer would.
 */
export interface PeerEvents {
  /**
   * Sends one reply; `eventId` and `occurredAt` (and a payment's `currency`, EUR) are filled in
   * unless given. Returns the payload.
   * Written with the topic's schema, or the one of `schemaId` (see `registerVariant`).
   */
  send(
    topic: ConsumedTopic,
    fields: Record<string, unknown>,
    schemaId?: number,
  ): Promise<Record<string, unknown>>;
  /**
   * Registers a new compatible version of the topic's schema (one more optional field) and
   * returns its id: a writer schema the service has never fetched, so decoding a record written
   * with it needs the registry.
   */
  registerVariant(topic: ConsumedTopic): Promise<number>;
  /** Sends raw bytes to a consumed topic (for poison-record tests). */
  sendRaw(topic: ConsumedTopic, key: string | null, value: Buffer | null): Promise<void>;
  stop(): Promise<void>;
}

export async function startPeerEvents(
  brokers: string[],
  registryUrl: string,
  topicPrefix: string,
): Promise<PeerEvents> {
  const client = createRegistryClient({ url: registryUrl, retries: 2 });
  const { registry } = client;
  const ids = new Map<ConsumedTopic, number>();
  for (const topic of CONSUMED_TOPICS) {
    const subject = subjectFor(topicPrefix, topic);
    ids.set(topic, await client.register(subject, loadAvroSchema(topic), COMPATIBILITY.BACKWARD));
  }
  await ensureTopics(
    brokers,
    CONSUMED_TOPICS.map((topic) => physicalTopic(topicPrefix, topic)),
  );
  const kafka = new Kafka({ clientId: 'test-peers', brokers, logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  return {
    async send(topic, fields, schemaId = ids.get(topic) as number) {
      const payload: Record<string, unknown> = {
        eventId: randomUUID(),
        occurredAt: Date.now(),
        // A payment names its currency, as the service requires: aValidOrder's, unless the
        // test gives one (or null, to send a reply without it).
        ...(topic === 'payment_successful' && { currency: 'EUR' }),
        ...fields,
      };
      const value = await registry.encode(schemaId, payload);
      await producer.send({
        topic: physicalTopic(topicPrefix, topic),
        messages: [
          { key: String(payload.orderId), value, headers: { 'event-id': String(payload.eventId) } },
        ],
      });
      return payload;
    },
    async registerVariant(topic) {
      const schema = loadAvroSchema(topic) as { fields: object[] };
      const extra = { name: `variant_${randomUUID().slice(0, 8)}`, type: 'null', default: null };
      return client.register(
        subjectFor(topicPrefix, topic),
        { ...schema, fields: [...schema.fields, extra] },
        COMPATIBILITY.BACKWARD,
      );
    },
    async sendRaw(topic, key, value) {
      await producer.send({ topic: physicalTopic(topicPrefix, topic), messages: [{ key, value }] });
    },
    stop: () => producer.disconnect(),
  };
}
