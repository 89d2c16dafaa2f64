import { randomUUID } from 'node:crypto';
import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { loadAvroSchema } from '../../../src/messaging/avro-schemas';
import {
  createRegistryClient,
  type RegistryClient,
} from '../../../src/messaging/schema-registry-client';
import { CONSUMED_TOPICS, subjectFor } from '../../../src/messaging/topics';
import { bombBody, bombType, zigzag, type BombSpec } from '../../support/avro-bombs';
import { runDlqCli } from '../../support/dlq-cli';
import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readRawTopics, type RawRecord, type RawTopicReader } from '../../support/raw-topic-reader';
import { startResponsivenessProbe, type Responsiveness } from '../../support/responsiveness-probe';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

/**
 * Fan-out bombs on the real broker and registry: a writer schema of records of records of
 * nothing, registered under the consumed topic's own subject or any other, and a record of a
 * few bytes framed with it. The service dead-letters it without holding its event loop, and the
 * record behind it on the partition is applied; `order-dlq show` shows it without hanging.
 */
interface Order {
  id: string;
  totalAmount: number;
}

const BOMBS: BombSpec[] = [
  { width: 10, depth: 10, leaf: 'null', shape: 'records' }, // the review's example
  { width: 10, depth: 9, leaf: 'empty-record', shape: 'union' },
  { width: 4, depth: 6, leaf: 'empty-fixed', shape: 'array' },
  { width: 30, depth: 5, leaf: 'empty-record', shape: 'map' },
];
type ReplyTopic = 'payment_successful' | 'payment_failed';
const MAX_LOOP_DELAY_MS = 1_500;
let responsiveness: Responsiveness;
const label = (spec: BombSpec) => `${spec.shape} of ${spec.width}^${spec.depth} ${spec.leaf}`;

const app = runningService();

describe('writer schemas that fan out are refused without stalling the service', () => {
  let peers: PeerEvents;
  let reader: RawTopicReader;
  let client: RegistryClient;
  let prefix: string;
  const contract = loadAvroSchema('payment_successful') as { fields: unknown[] };
  const contractType = avro.Type.forSchema(contract as avro.Schema);

  beforeAll(async () => {
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
    prefix = KAFKA_TOPIC_PREFIX;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, prefix);
    client = createRegistryClient({ url: SCHEMA_REGISTRY_URL, retries: 0 });
    const sources = CONSUMED_TOPICS.map((topic) => `${prefix}${topic}`);
    reader = await readRawTopics(KAFKA_BROKERS, [...sources, ...sources.map((t) => `${t}_dlq`)]);
  }, 60_000);
  afterAll(async () => {
    await reader?.stop();
    await peers?.stop();
  });

  const paymentOf = (order: Order) => ({
    orderId: order.id,
    paymentId: `pay-${randomUUID()}`,
    amount: order.totalAmount,
    currency: 'EUR', // aValidOrder's; a reply without one is invalid-record
  });

  /**
   * The contract's schema plus one optional field of the bomb's type (a new field name each
   * time, so every version is BACKWARD compatible with the one before), under `subject`.
   */
  async function registerBomb(spec: BombSpec, subject: string, field: string): Promise<number> {
    const type = spec.shape === 'union' ? bombType(spec) : ['null', bombType(spec)];
    const schema = {
      ...contract,
      fields: [...contract.fields, { name: field, type, default: null }],
    };
    return client.register(subject, schema, COMPATIBILITY.BACKWARD);
  }

  /** A valid payment for the order, then the bomb's branch of the extra field: a few bytes. */
  function bombRecord(spec: BombSpec, schemaId: number, order: Order): Buffer {
    const fields = { ...paymentOf(order), eventId: randomUUID(), occurredAt: Date.now() };
    const branch = spec.shape === 'union' ? Buffer.alloc(0) : zigzag(1);
    const body = Buffer.concat([contractType.toBuffer(fields), branch, bombBody(spec, 1_000)]);
    return Buffer.concat([Buffer.from([0]), int32(schemaId), body]);
  }

  async function deadLetterOf(topic: ReplyTopic, value: Buffer): Promise<RawRecord> {
    const source = `${prefix}${topic}`;
    const [original] = await reader.waitFor((r) => r.topic === source && !!r.value?.equals(value));
    const [dead] = await reader.waitFor(
      (r) =>
        r.topic === `${source}_dlq` &&
        r.headers['dlq-original-partition'] === String(original?.partition) &&
        r.headers['dlq-original-offset'] === original?.offset,
    );
    return dead as RawRecord;
  }

  async function expectApplied(eventId: unknown) {
    await waitFor(
      async () => {
        const { rows } = await app.sql.query<{ outcome: string }>(
          'SELECT outcome FROM processed_events WHERE event_id = $1',
          [eventId],
        );
        return rows[0]?.outcome === 'applied';
      },
      { timeoutMs: 20_000, message: `event ${String(eventId)} applied` },
    );
  }

  /**
   * Sends the bomb and a good payment behind it (same key, so same partition) while probing the
   * service's responsiveness; returns the dead letter.
   */
  async function sendBombAndGood(
    value: Buffer,
    order: Order,
    topic: ReplyTopic = 'payment_successful',
  ) {
    const probe = startResponsivenessProbe(`${app.url}/health`);
    let dead: RawRecord;
    try {
      await peers.sendRaw(topic, order.id, value);
      const good = await peers.send(
        topic,
        topic === 'payment_successful'
          ? paymentOf(order)
          : { orderId: order.id, reason: 'declined' },
      );
      dead = await deadLetterOf(topic, value);
      await expectApplied(good.eventId);
    } finally {
      responsiveness = await probe.stop();
    }
    if (process.env.PRINT_RESPONSIVENESS)
      process.stdout.write(`${JSON.stringify(responsiveness)}\n`);
    // Bounds with room for a loaded 2-core machine; an unbounded walk of these holds it minutes.
    expect(responsiveness.answers).toBeGreaterThan(0);
    expect(responsiveness.maxLoopDelayMs).toBeLessThan(MAX_LOOP_DELAY_MS);
    expect(responsiveness.maxAnswerMs).toBeLessThan(MAX_LOOP_DELAY_MS);
    return dead;
  }

  test.each(BOMBS.map((spec, index) => [label(spec), spec, index] as const))(
    "when a record's writer schema under the topic's own subject is a %s, then it is dead-lettered as incompatible-schema, the service stays responsive and the next record is applied",
    async (_label, spec, index) => {
      const order = (await readJson(await postOrder(app.url, aValidOrder()))) as Order;
      const subject = subjectFor(prefix, 'payment_successful');
      const schemaId = await registerBomb(spec, subject, `junk${index}`);
      const value = bombRecord(spec, schemaId, order);
      expect(value.length).toBeLessThan(2_200);

      const dead = await sendBombAndGood(value, order);

      expect(dead.headers['dlq-error-class']).toBe('incompatible-schema');
      expect(dead.headers['dlq-error-message']).toMatch(
        new RegExp(
          `Schema id ${schemaId} can stand for .* values per byte of a record, more than 1000`,
        ),
      );
    },
  );

  test('when the schema is within the expansion bound but a record of it holds more values than CONSUMER_MAX_NODES, then it is dead-lettered as record-too-large', async () => {
    const order = (await readJson(await postOrder(app.url, aValidOrder()))) as Order;
    // 364 values per empty-bodied item (expansion 365, under 1,000); 1,000 items are 364,000.
    const spec: BombSpec = { width: 3, depth: 5, leaf: 'empty-record', shape: 'array' };
    const subject = subjectFor(prefix, 'payment_successful');
    const schemaId = await registerBomb(spec, subject, 'manyItems');
    const value = bombRecord(spec, schemaId, order);

    const dead = await sendBombAndGood(value, order);

    expect(dead.headers['dlq-error-class']).toBe('record-too-large');
    expect(dead.headers['dlq-error-message']).toContain('more than 200000 values in all');
  });

  test('when the writer schema is a bomb registered under another subject, then it is dead-lettered as incompatible-schema and order-dlq show shows it at once', async () => {
    const order = (await readJson(await postOrder(app.url, aValidOrder()))) as Order;
    const spec = BOMBS[0] as BombSpec;
    const schemaId = await registerBomb(spec, `${prefix}elsewhere-value`, 'junk');
    const value = bombRecord(spec, schemaId, order);

    const dead = await sendBombAndGood(value, order);

    expect(dead.headers['dlq-error-class']).toBe('incompatible-schema');
    const started = Date.now();
    const shown = await runDlqCli(
      ['show', 'payment_successful', '--json', '--error-class', 'incompatible-schema'],
      {
        DATABASE_URL: app.databaseUrl,
        KAFKA_BROKERS: app.config.KAFKA_BROKERS.join(','),
        SCHEMA_REGISTRY_URL: app.config.SCHEMA_REGISTRY_URL,
        KAFKA_TOPIC_PREFIX: prefix,
      },
      90_000,
    );
    expect({ code: shown.code, stderr: shown.stderr }).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeLessThan(60_000);
    const views = JSON.parse(shown.stdout) as { valueHex?: string; undecodable?: string }[];
    const view = views.find((candidate) => candidate.valueHex === value.toString('hex'));
    expect(view?.undecodable).toMatch(/can stand for .* values per byte/);
  }, 120_000);

  test("when a writer schema under the topic's own subject does not resolve against ours, then it is dead-lettered as incompatible-schema naming the writer", async () => {
    const order = (await readJson(await postOrder(app.url, aValidOrder()))) as Order;
    // Without `reason`: the registry takes it as BACKWARD (it reads older records), our reader,
    // which needs a reason, cannot resolve it (on payment_failed's subject, which no other test
    // here writes).
    const contractFailed = loadAvroSchema('payment_failed') as { fields: { name: string }[] };
    const withoutReason = {
      ...contractFailed,
      fields: contractFailed.fields.filter((field) => field.name !== 'reason'),
    };
    const schemaId = await client.register(
      subjectFor(prefix, 'payment_failed'),
      withoutReason,
      COMPATIBILITY.BACKWARD,
    );
    const fields = { eventId: randomUUID(), orderId: order.id, occurredAt: Date.now() };
    const body = avro.Type.forSchema(withoutReason as avro.Schema).toBuffer(fields);
    const value = Buffer.concat([Buffer.from([0]), int32(schemaId), body]);

    const dead = await sendBombAndGood(value, order, 'payment_failed');

    expect(dead.headers['dlq-error-class']).toBe('incompatible-schema');
    expect(dead.headers['dlq-error-message']).toMatch(
      /Writer schema io\.ordersaga\.events\.PaymentFailed \(id \d+\) does not resolve against io\.ordersaga\.events\.PaymentFailed: /,
    );
  });
});

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}
