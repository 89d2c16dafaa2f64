import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DLQ_HEADERS } from '../../../src/messaging/dead-letter-headers';
import { DEAD_LETTER_LIMITS } from '../../../src/messaging/dead-letter-record';
import { runDlqCli } from '../../support/dlq-cli';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { scrapeMetrics, samplesOf } from '../../support/metrics-scrape';
import {
  aValidOrder,
  postOrder,
  readJson,
  startTestService,
  uniqueTopicPrefix,
  type TestService,
} from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readRawTopics, type RawTopicReader } from '../../support/raw-topic-reader';
import { ensureTopics, TEST_PARTITIONS } from '../../support/service-topics';
import { waitFor } from '../../support/wait-for';

/** The DLQ topic's bound: far below the poison record, far above a stub. */
const DLQ_MAX_MESSAGE_BYTES = 4_096;
const onRealKafka = sharedKafkaStack().flavour === 'real' ? describe : describe.skip;

/**
 * A poison record whose dead letter is over its DLQ topic's `max.message.bytes` (a topic config
 * on the real broker): the broker refuses the whole dead letter for good. It must be written as a
 * stub, the consumer must move on to the next record of the partition, and neither breaker may
 * count the refusal; the DLQ tool shows the stub and refuses to replay it.
 */
onRealKafka('when the DLQ topic refuses a dead letter as too large', () => {
  const prefix = uniqueTopicPrefix();
  const source = `${prefix}payment_successful`;
  let app: TestService;
  let peers: PeerEvents;
  let reader: RawTopicReader;

  beforeAll(async () => {
    const { brokers } = sharedKafkaStack();
    const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // Before the service starts: its provisioning leaves existing topics as they are.
      await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: `${source}_dlq`,
            numPartitions: TEST_PARTITIONS,
            replicationFactor: 1,
            configEntries: [{ name: 'max.message.bytes', value: String(DLQ_MAX_MESSAGE_BYTES) }],
          },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    // A KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a moment: the project's own wait.
    await ensureTopics(brokers.split(','), [`${source}_dlq`]);
    app = await startTestService({ KAFKA_TOPIC_PREFIX: prefix });
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = app.config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, prefix);
    reader = await readRawTopics(KAFKA_BROKERS, [source, `${source}_dlq`]);
  }, 90_000);
  afterAll(async () => {
    await reader?.stop();
    await peers?.stop();
    await app?.stop();
  });

  const cliEnv = () => ({
    DATABASE_URL: app.databaseUrl,
    KAFKA_BROKERS: app.config.KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL: app.config.SCHEMA_REGISTRY_URL,
    KAFKA_TOPIC_PREFIX: prefix,
  });

  // The refused record and the good one behind it are sent before any test, so each test (the
  // DLQ tool's too) can run alone or in any order.
  const refused = { orderId: '', value: Buffer.alloc(0), goodEventId: '' };
  beforeAll(async () => {
    const order = readJson(await postOrder(app.url, aValidOrder()));
    const { id: orderId, totalAmount } = (await order) as { id: string; totalAmount: number };
    // Random bytes: gzip cannot bring them under the bound.
    const value = randomBytes(3 * DLQ_MAX_MESSAGE_BYTES);
    value[0] = 0x7b; // not the Confluent magic byte: poison as not-confluent-avro, at once
    await peers.sendRaw('payment_successful', orderId, value);
    const good = await peers.send('payment_successful', {
      orderId,
      paymentId: 'pay-after-the-big-one',
      amount: totalAmount,
    });
    Object.assign(refused, { orderId, value, goodEventId: good.eventId });
  }, 30_000);

  const stubLanded = () =>
    reader.waitFor(
      (record) => record.topic === `${source}_dlq` && record.key?.toString() === refused.orderId,
      1,
      30_000,
    );

  test('then a stub lands, the next record of the partition is applied, and no breaker counted a failure', async () => {
    const { value } = refused;
    await waitFor(
      async () => {
        const { rows } = await app.sql.query<{ outcome: string }>(
          'SELECT outcome FROM processed_events WHERE event_id = $1',
          [refused.goodEventId],
        );
        return rows[0]?.outcome === 'applied';
      },
      { timeoutMs: 45_000, message: 'the record behind the refused one applied' },
    );

    const [stub] = await stubLanded();
    const [original] = await reader.waitFor(
      (record) => record.topic === source && record.value?.equals(value) === true,
    );
    expect(stub?.headers).toMatchObject({
      [DLQ_HEADERS.stub]: expect.stringContaining('MESSAGE_TOO_LARGE'),
      [DLQ_HEADERS.valueSha256]: createHash('sha256').update(value).digest('hex'),
      [DLQ_HEADERS.valueBytes]: String(value.length),
      [DLQ_HEADERS.originalTopic]: source,
      [DLQ_HEADERS.originalPartition]: String(original?.partition),
      [DLQ_HEADERS.originalOffset]: original?.offset,
      [DLQ_HEADERS.errorClass]: 'not-confluent-avro',
    });
    expect(stub?.value).toEqual(value.subarray(0, DEAD_LETTER_LIMITS.stubValueBytes));

    const metrics = await scrapeMetrics(app.adminUrl);
    const value1 = (name: string, labels = {}) => samplesOf(metrics, name, labels)[0]?.value;
    expect(value1('kafka_producer_breaker_failures_total')).toBe(0);
    expect(value1('dead_letter_breaker_failures_total')).toBe(0);
    expect(value1('kafka_producer_breaker_state', { state: 'closed' })).toBe(1);
    expect(value1('dead_letter_stubs_total', { topic: source, reason: 'MESSAGE_TOO_LARGE' })).toBe(
      1,
    );
  }, 90_000);

  test('then a dead letter that fits once compressed is written whole (DLQ writes are gzipped)', async () => {
    const orderId = randomUUID();
    // Three times the bound, but zeros: gzip brings the dead letter far under it.
    const value = Buffer.alloc(3 * DLQ_MAX_MESSAGE_BYTES, 0);
    await peers.sendRaw('payment_successful', orderId, value);

    const [dead] = await reader.waitFor(
      (record) => record.topic === `${source}_dlq` && record.key?.toString() === orderId,
      1,
      30_000,
    );
    expect(dead?.headers[DLQ_HEADERS.stub]).toBeUndefined();
    expect(dead?.value).toEqual(value);
  }, 60_000);

  test('then the DLQ tool shows it as a stub and refuses to replay it', async () => {
    await stubLanded();
    const shown = await runDlqCli(['show', 'payment_successful', '--json'], cliEnv());
    const replay = await runDlqCli(
      ['replay', 'payment_successful', '--all', '--reason', 'test'],
      cliEnv(),
    );

    expect(shown.code).toBe(0);
    const [record] = JSON.parse(shown.stdout).filter(
      (view: { stub?: unknown }) => view.stub !== undefined,
    );
    expect(record).toMatchObject({
      value: null,
      undecodable: expect.stringMatching(/^stub: .*MESSAGE_TOO_LARGE/),
      stub: { valueBytes: 3 * DLQ_MAX_MESSAGE_BYTES, valueSha256: expect.any(String) },
    });
    expect(replay.code).toBe(1);
    expect(replay.stdout).toBe('');
    expect(replay.stderr).toMatch(
      /^dlq: 1 selected record\(s\) of \S+_dlq are stubs without the full value .*a stub cannot be replayed.*nothing was replayed\n$/,
    );
  }, 60_000);
});
