import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { COMPATIBILITY, SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import avro from 'avsc';
import winston from 'winston';
import { loadAvroSchema } from '../../../src/messaging/avro-schemas';
import { createRegistryClient } from '../../../src/messaging/schema-registry-client';
import { CONSUMED_TOPICS, subjectFor, type ConsumedTopic } from '../../../src/messaging/topics';
import { serviceVersion } from '../../../src/shared/service-version';
import {
  aValidOrder,
  postOrder,
  readJson,
  type TestService,
} from '../../support/order-service-harness';
import { zigzag } from '../../support/avro-bombs';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readRawTopics, type RawRecord, type RawTopicReader } from '../../support/raw-topic-reader';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

/**
 * Every kind of record the saga consumer cannot process lands in `<topic>_dlq` with the original
 * bytes and the error headers, and the records behind it on the same partition are still applied.
 */
interface Order {
  id: string;
  totalAmount: number;
  currency: string;
}

const MAX_ATTEMPTS = 3;
const MAX_RECORD_BYTES = 8_192;
const MAX_STRING_BYTES = 1_024;

const app = runningService({
  CONSUMER_MAX_UNKNOWN_ATTEMPTS: String(MAX_ATTEMPTS),
  CONSUMER_MAX_RECORD_BYTES: String(MAX_RECORD_BYTES),
  CONSUMER_MAX_STRING_BYTES: String(MAX_STRING_BYTES),
});

describe('poison records are dead-lettered and the consumer moves on', () => {
  let peers: PeerEvents;
  let reader: RawTopicReader;
  let registry: SchemaRegistry;
  let prefix: string;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
    prefix = KAFKA_TOPIC_PREFIX;
    captureErrorLogs(app, logLines);
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, prefix);
    registry = new SchemaRegistry({ host: SCHEMA_REGISTRY_URL });
    const sources = CONSUMED_TOPICS.map((topic) => `${prefix}${topic}`);
    reader = await readRawTopics(KAFKA_BROKERS, [...sources, ...sources.map((t) => `${t}_dlq`)]);
  }, 60_000);
  afterAll(async () => {
    await reader?.stop();
    await peers?.stop();
  });

  async function placeOrder(): Promise<Order> {
    return readJson(await postOrder(app.url, aValidOrder()));
  }

  /** Avro in Confluent framing with the schema registered for `schemaOf` under this prefix. */
  async function encodeAs(schemaOf: ConsumedTopic, fields: Record<string, unknown>) {
    const id = await registry.getLatestSchemaId(subjectFor(prefix, schemaOf));
    return registry.encode(id, { eventId: randomUUID(), occurredAt: Date.now(), ...fields });
  }

  async function sourceRecord(topic: ConsumedTopic, value: Buffer): Promise<RawRecord> {
    const [record] = await reader.waitFor(
      (r) => r.topic === `${prefix}${topic}` && r.value !== null && r.value.equals(value),
    );
    return record as RawRecord;
  }

  async function deadLetterOf(source: RawRecord): Promise<RawRecord> {
    const [record] = await reader.waitFor(
      (r) =>
        r.topic === `${source.topic}_dlq` &&
        r.headers['dlq-original-partition'] === String(source.partition) &&
        r.headers['dlq-original-offset'] === source.offset,
    );
    return record as RawRecord;
  }

  /** The DLQ record carries the original bytes untouched and says where it came from and why. */
  async function expectDeadLettered(
    topic: ConsumedTopic,
    value: Buffer,
    errorClass: string,
    attempts = 1,
  ): Promise<RawRecord> {
    const source = await sourceRecord(topic, value);
    const dead = await deadLetterOf(source);
    expect(dead.key).toEqual(source.key);
    expect(dead.value).toEqual(source.value);
    expect(dead.headers).toEqual({
      ...source.headers,
      'dlq-original-topic': `${prefix}${topic}`,
      'dlq-original-partition': String(source.partition),
      'dlq-original-offset': source.offset,
      'dlq-original-timestamp': source.timestamp,
      'dlq-consumer-group': app.config.SAGA_CONSUMER_GROUP,
      'dlq-error-class': errorClass,
      'dlq-error-message': expect.any(String),
      'dlq-attempts': String(attempts),
      'dlq-first-failure-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      'dlq-last-failure-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      'dlq-service-version': serviceVersion(),
    });
    const message = dead.headers['dlq-error-message'] as string;
    expect(message.length).toBeGreaterThan(0);
    expect(message.length).toBeLessThanOrEqual(1_000);
    expect(Date.parse(dead.headers['dlq-first-failure-at'] as string)).toBeLessThanOrEqual(
      Date.parse(dead.headers['dlq-last-failure-at'] as string),
    );
    return dead;
  }

  /**
   * A good reply for the same order on the same topic, so on the same partition behind the poison
   * record: it can only be applied once the consumer has moved past the poison one.
   */
  async function sendGoodBehind(topic: 'payment_successful' | 'payment_failed', order: Order) {
    return topic === 'payment_successful'
      ? peers.send(topic, paymentOf(order))
      : peers.send(topic, { orderId: order.id, reason: 'card declined' });
  }

  async function expectApplied(payload: Record<string, unknown>) {
    await waitFor(
      async () => {
        const { rows } = await app.sql.query<{ outcome: string }>(
          'SELECT outcome FROM processed_events WHERE event_id = $1',
          [payload.eventId],
        );
        return rows[0]?.outcome === 'applied';
      },
      { timeoutMs: 20_000, message: `event ${String(payload.eventId)} applied` },
    );
  }

  const paymentOf = (order: Order) => ({
    orderId: order.id,
    paymentId: `pay-${randomUUID()}`,
    amount: order.totalAmount,
    currency: order.currency,
  });

  test('when the value is not Confluent-framed Avro, then it is dead-lettered at once and the next record is applied', async () => {
    const order = await placeOrder();
    const value = Buffer.from(JSON.stringify({ orderId: order.id, note: randomUUID() }));

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    await expectDeadLettered('payment_successful', value, 'not-confluent-avro');
    await expectApplied(good);
  });

  test('when the value is framed but its body is not Avro of that schema, then it is dead-lettered at once as not-confluent-avro', async () => {
    const order = await placeOrder();
    const schemaId = await registry.getLatestSchemaId(subjectFor(prefix, 'payment_successful'));
    const value = Buffer.concat([Buffer.from([0]), int32(schemaId), Buffer.from([0xff, 0xff])]);

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    await expectDeadLettered('payment_successful', value, 'not-confluent-avro', 1);
    await expectApplied(good);
  });

  test('when the schema id is not in the registry, then it is dead-lettered as unknown-schema-id', async () => {
    const order = await placeOrder();
    const value = Buffer.concat([Buffer.from([0]), int32(2_000_000_000), Buffer.from('x')]);

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    const dead = await expectDeadLettered('payment_successful', value, 'unknown-schema-id');
    expect(dead.headers['dlq-error-message']).toContain('2000000000');
    await expectApplied(good);
  });

  test('when a PaymentFailed (registered under payment_failed) is written to payment_successful, then it is dead-lettered as incompatible-schema naming the subject', async () => {
    const order = await placeOrder();
    const value = await encodeAs('payment_failed', { orderId: order.id, reason: 'declined' });

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    const dead = await expectDeadLettered('payment_successful', value, 'incompatible-schema');
    // Only writer schemas of the topic's own subject are read (the resolution failure of one
    // that is, is in writer-schema-bounds.test.ts).
    expect(dead.headers['dlq-error-message']).toMatch(
      new RegExp(
        `Schema id \\d+ is not registered under ${escape(prefix)}payment_successful-value, the only subject`,
      ),
    );
    await expectApplied(good);
  });

  test('when a record of another schema happens to have the same fields, then it is still dead-lettered and not applied', async () => {
    // inventory_reservation_failed has exactly payment_failed's fields: only the schema tells them apart.
    const order = await placeOrder();
    const value = await encodeAs('inventory_reservation_failed', {
      orderId: order.id,
      reason: 'out of stock',
    });

    await peers.sendRaw('payment_failed', order.id, value);
    const good = await sendGoodBehind('payment_failed', order);

    await expectDeadLettered('payment_failed', value, 'incompatible-schema');
    await expectApplied(good);
    const { rows } = await app.sql.query(
      `SELECT to_status, reason, causing_event_id FROM order_status_history
       WHERE order_id = $1 AND to_status = 'FAILED'`,
      [order.id],
    );
    expect(rows).toEqual([expect.objectContaining({ causing_event_id: good.eventId })]);
  });

  /**
   * Registers, under payment_successful's subject, the contract's schema plus one field of a
   * peer's own (compatible: it has a default), and returns its id.
   */
  async function registerWithExtraField(field: Record<string, unknown>): Promise<number> {
    const schema = loadAvroSchema('payment_successful') as { fields: unknown[] };
    return createRegistryClient({ url: app.config.SCHEMA_REGISTRY_URL, retries: 0 }).register(
      subjectFor(prefix, 'payment_successful'),
      { ...schema, fields: [...schema.fields, field] },
      COMPATIBILITY.BACKWARD,
    );
  }

  test('when a record claims a billion items of an unknown array<null> field, then it is dead-lettered as record-too-large and the service keeps serving', async () => {
    const order = await placeOrder();
    const schemaId = await registerWithExtraField({
      name: 'junk',
      type: { type: 'array', items: 'null' },
      default: [],
    });
    const writer = avro.Type.forSchema((await registry.getSchema(schemaId)) as never);
    const valid = writer.toBuffer({
      ...paymentOf(order),
      eventId: randomUUID(),
      currency: null,
      occurredAt: Date.now(),
      junk: [],
    });
    // The empty array is the last byte (a 0 block count): claim 10^9 nulls instead (zero bytes each).
    const bomb = Buffer.concat([valid.subarray(0, -1), zigzag(1_000_000_000), Buffer.from([0])]);
    const value = Buffer.concat([Buffer.from([0]), int32(schemaId), bomb]);

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    const dead = await expectDeadLettered('payment_successful', value, 'record-too-large');
    expect(dead.headers['dlq-error-message']).toMatch(/more than 10000 items/);
    await expectApplied(good);
    expect((await postOrder(app.url, aValidOrder())).status).toBe(202);
  });

  test('when a string in a field we do not know is longer than allowed, then it is dead-lettered as record-too-large', async () => {
    const order = await placeOrder();
    const schemaId = await registerWithExtraField({ name: 'note', type: 'string', default: '' });
    const writer = avro.Type.forSchema((await registry.getSchema(schemaId)) as never);
    const body = writer.toBuffer({
      ...paymentOf(order),
      eventId: randomUUID(),
      currency: null,
      occurredAt: Date.now(),
      note: 'x'.repeat(MAX_STRING_BYTES + 1),
    });
    const value = Buffer.concat([Buffer.from([0]), int32(schemaId), body]);

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    const dead = await expectDeadLettered('payment_successful', value, 'record-too-large');
    expect(dead.headers['dlq-error-message']).toContain(`exceeds ${MAX_STRING_BYTES}`);
    await expectApplied(good);
  });

  test('when the value is larger than CONSUMER_MAX_RECORD_BYTES, then it is dead-lettered as record-too-large before anything is read', async () => {
    const order = await placeOrder();
    const value = Buffer.concat([Buffer.from([0]), int32(1), Buffer.alloc(MAX_RECORD_BYTES)]);

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    const dead = await expectDeadLettered('payment_successful', value, 'record-too-large');
    expect(dead.headers['dlq-error-message']).toContain(`more than ${MAX_RECORD_BYTES}`);
    await expectApplied(good);
  });

  test('when an event id already processed for another order and topic arrives, then it is dead-lettered as event-id-collision, not dropped as a duplicate', async () => {
    const first = await placeOrder();
    const second = await placeOrder();
    const applied = await peers.send('payment_failed', { orderId: first.id, reason: 'declined' });
    await expectApplied(applied);
    const value = await encodeAs('payment_successful', {
      ...paymentOf(second),
      eventId: applied.eventId,
    });

    await peers.sendRaw('payment_successful', second.id, value);
    const good = await sendGoodBehind('payment_successful', second);

    const dead = await expectDeadLettered('payment_successful', value, 'event-id-collision');
    expect(dead.headers['dlq-error-message']).toContain(`for payment_failed, order ${first.id}`);
    await expectApplied(good);
  });

  test.each([
    ['a negative amount', { amount: -5 }],
    ['a blank event id', { eventId: '   ' }],
    ['an order id that is not a uuid', { orderId: 'order-1' }],
  ])(
    'when the record fails validation (%s), then it is dead-lettered as invalid-record',
    async (_case, override) => {
      const order = await placeOrder();
      const value = await encodeAs('payment_successful', { ...paymentOf(order), ...override });

      await peers.sendRaw('payment_successful', order.id, value);
      const good = await sendGoodBehind('payment_successful', order);

      await expectDeadLettered('payment_successful', value, 'invalid-record');
      await expectApplied(good);
    },
  );

  test.each([
    ['null', { currency: null }],
    ['left out (the schema default)', {}],
  ])(
    'when a payment that takes the exact total names no currency (%s), then it is dead-lettered as invalid-record and the order does not move',
    async (_case, currency) => {
      const order = await placeOrder();
      const { currency: _named, ...withoutCurrency } = paymentOf(order);
      const eventId = randomUUID();
      const value = await encodeAs('payment_successful', {
        ...withoutCurrency,
        eventId,
        ...currency,
      });

      await peers.sendRaw('payment_successful', order.id, value);

      const dead = await expectDeadLettered('payment_successful', value, 'invalid-record');
      expect(dead.headers['dlq-error-message']).toMatch(/currency/);
      const { rows } = await app.sql.query(
        `SELECT o.status, o.payment_id,
                (SELECT count(*)::int FROM processed_events WHERE event_id = $2) AS processed,
                (SELECT count(*)::int FROM order_effects WHERE order_id = o.id) AS effects
         FROM orders o WHERE o.id = $1`,
        [order.id, eventId],
      );
      expect(rows[0]).toEqual({ status: 'PENDING', payment_id: null, processed: 0, effects: 0 });
    },
  );

  test('when the event names an order that does not exist, then it is dead-lettered as unknown-order, logged once with its ids and counted', async () => {
    const order = await placeOrder();
    const unknownOrderId = await keyOnSamePartition('payment_successful', order.id);
    const eventId = randomUUID();
    const value = await encodeAs('payment_successful', {
      ...paymentOf({ id: unknownOrderId, totalAmount: 100, currency: 'EUR' }),
      eventId,
    });

    // No event-id header: the log must take the event id from the decoded record.
    await peers.sendRaw('payment_successful', unknownOrderId, value);
    const good = await sendGoodBehind('payment_successful', order);

    await expectDeadLettered('payment_successful', value, 'unknown-order');
    await expectApplied(good);
    const logged = logLines.filter(
      (line) => line.message === 'record dead-lettered' && line.orderId === unknownOrderId,
    );
    expect(logged).toEqual([
      expect.objectContaining({ orderId: unknownOrderId, eventId, errorClass: 'unknown-order' }),
    ]);
    const metrics = await (await fetch(`${app.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `dead_lettered_records_total\\{topic="${escape(prefix)}payment_successful",error_class="unknown-order"\\} 1\\b`,
      ),
    );
  });

  test(`when the handler fails the same way on every attempt, then the record is dead-lettered after ${MAX_ATTEMPTS} attempts`, async () => {
    // A valid record that Postgres refuses every time: text columns cannot hold NUL characters.
    // (A peer's reason text is cleaned on the way in, so the NUL rides in the payment id.)
    const order = await placeOrder();
    const value = await encodeAs('payment_successful', {
      ...paymentOf(order),
      paymentId: 'pay-\u0000-1',
    });

    await peers.sendRaw('payment_successful', order.id, value);
    const good = await sendGoodBehind('payment_successful', order);

    const dead = await expectDeadLettered(
      'payment_successful',
      value,
      'DatabaseError',
      MAX_ATTEMPTS,
    );
    expect(dead.headers['dlq-error-message']).toMatch(/0x00/);
    await expectApplied(good);
  });

  /** An order id that is not an order, mapped to the same partition as `key` (murmur2). */
  async function keyOnSamePartition(topic: ConsumedTopic, key: string): Promise<string> {
    const kafka = new Kafka({ brokers: app.config.KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const partitions = (await admin.fetchTopicOffsets(`${prefix}${topic}`)).length;
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      const partitionOf = (k: string) =>
        partitioner({ topic, partitionMetadata, message: { key: k, value: null } });
      for (;;) {
        const candidate = randomUUID();
        if (partitionOf(candidate) === partitionOf(key)) return candidate;
      }
    } finally {
      await admin.disconnect();
    }
  }
});

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Collects the service's error-level log lines (the harness starts it with LOG_LEVEL=silent). */
function captureErrorLogs(app: TestService, into: Record<string, unknown>[]) {
  const { logger } = app.service;
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          into.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    }),
  );
  logger.level = process.env.CAPTURE_LEVEL ?? 'error';
  if (process.env.CAPTURE_LEVEL) logger.add(new winston.transports.Console());
  logger.silent = false;
}
