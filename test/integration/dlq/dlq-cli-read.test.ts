import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { PoisonRecordError } from '../../../src/messaging/failure-policy';
import { subjectFor } from '../../../src/messaging/topics';
import { UnknownOrderError } from '../../../src/domain/saga-errors';
import {
  FIXTURE_CONSUMER_GROUP,
  FIXTURE_SERVICE_VERSION,
  nonEmptyLines,
  runDlqCli,
  startDeadLetterFixture,
  type DeadLetterFixture,
  type DlqCliEnv,
} from '../../support/dlq-cli';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const database = freshDatabase();

/**
 * `order-dlq list` and `show`, and how the tool fails, through its real entry point. The DLQ
 * records are written by the service's own dead-letter publisher, as the saga consumer would.
 */
describe('order-dlq: list, show and failures', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  const prefix = uniqueTopicPrefix();
  let fixture: DeadLetterFixture;
  let peers: PeerEvents;
  let env: DlqCliEnv;
  const orderA = randomUUID();
  const orderB = randomUUID();
  let avroA: Buffer;

  beforeAll(async () => {
    env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
    };
    fixture = await startDeadLetterFixture(brokers.split(','));
    peers = await startPeerEvents(brokers.split(','), registryUrl, prefix); // registers the schemas
    const registry = new SchemaRegistry({ host: registryUrl });
    const schemaId = await registry.getLatestSchemaId(subjectFor(prefix, 'payment_successful'));
    avroA = await registry.encode(schemaId, {
      eventId: 'event-a',
      orderId: orderA,
      paymentId: 'pay-a',
      amount: 4_998,
      occurredAt: 1_700_000_000_000,
    });
    const source = `${prefix}payment_successful`;
    await fixture.deadLetter(
      {
        topic: source,
        partition: 2,
        offset: '40',
        key: orderA,
        value: avroA,
        headers: { 'event-id': 'event-a' },
      },
      new UnknownOrderError(orderA),
    );
    await fixture.deadLetter(
      { topic: source, partition: 1, offset: '7', key: orderB, value: Buffer.from('not avro') },
      new PoisonRecordError('not-confluent-avro', 'The value is not Confluent-framed Avro'),
    );
    await fixture.deadLetter(
      {
        topic: `${prefix}payment_failed`,
        partition: 0,
        offset: '3',
        key: orderB,
        value: Buffer.from([1]),
      },
      new Error('boom'),
      5,
    );
    // One of them was handled already.
    const failedDlq = `${prefix}payment_failed_dlq`;
    const [stored] = await recordPositions(brokers.split(','), failedDlq);
    const handled = await database.sql.query(
      `INSERT INTO dead_letter_actions (dlq_topic, dlq_partition, dlq_offset, action)
       VALUES ($1, $2, $3, 'skipped')`,
      [failedDlq, stored?.partition, stored?.offset],
    );
    expect(handled.rowCount).toBe(1);
  }, 60_000);
  afterAll(async () => {
    await peers?.stop();
    await fixture?.stop();
  });

  test('when records were dead-lettered, then list shows each DLQ topic with its count and how many are still to handle', async () => {
    const table = await runDlqCli(['list'], env);
    const json = await runDlqCli(['list', '--json'], env);

    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(nonEmptyLines(table.stdout)).toEqual([
      expect.stringMatching(/^TOPIC\s+RECORDS\s+TO HANDLE$/),
      expect.stringMatching(new RegExp(`^${escape(prefix)}payment_failed_dlq\\s+1\\s+0$`)),
      expect.stringMatching(new RegExp(`^${escape(prefix)}payment_successful_dlq\\s+2\\s+2$`)),
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { topic: `${prefix}payment_failed_dlq`, records: 1, toHandle: 0 },
      { topic: `${prefix}payment_successful_dlq`, records: 2, toHandle: 2 },
    ]);
  });

  test('when no DLQ topic exists under the prefix, then list says so and exits 0', async () => {
    const result = await runDlqCli(['list'], { ...env, KAFKA_TOPIC_PREFIX: uniqueTopicPrefix() });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^no dead-letter topics under prefix "t[0-9a-f]+\."\n$/);
  });

  test('when showing a topic as JSON, then each record comes with its error headers and its value decoded through the registry, or as hex', async () => {
    const result = await runDlqCli(['show', 'payment_successful', '--json'], env);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const records = JSON.parse(result.stdout);
    const byKey = Object.fromEntries(
      records.map((record: { key: string }) => [record.key, record]),
    );
    expect(records).toHaveLength(2);
    expect(byKey[orderA]).toMatchObject({
      topic: `${prefix}payment_successful_dlq`,
      status: 'pending',
      handledAt: null,
      originalTopic: `${prefix}payment_successful`,
      originalPartition: '2',
      originalOffset: '40',
      consumerGroup: FIXTURE_CONSUMER_GROUP,
      errorClass: 'unknown-order',
      errorMessage: `No order has id ${orderA}`,
      attempts: 1,
      serviceVersion: FIXTURE_SERVICE_VERSION,
      headers: expect.objectContaining({
        'event-id': 'event-a',
        'dlq-error-class': 'unknown-order',
      }),
      value: {
        eventId: 'event-a',
        orderId: orderA,
        paymentId: 'pay-a',
        amount: 4_998,
        occurredAt: 1_700_000_000_000,
      },
      schemaId: expect.any(Number),
    });
    expect(byKey[orderB]).toMatchObject({
      errorClass: 'not-confluent-avro',
      value: null,
      valueHex: Buffer.from('not avro').toString('hex'),
      undecodable: 'not Confluent-framed',
    });
  });

  test('when showing a topic, then a readable table lists the records, with selectors and --limit applied', async () => {
    const all = await runDlqCli(['show', `${prefix}payment_successful_dlq`], env);
    const limited = await runDlqCli(['show', 'payment_successful', '--limit', '1'], env);
    const selected = await runDlqCli(
      ['show', 'payment_successful', '--error-class', 'not-confluent-avro'],
      env,
    );

    expect(all.code).toBe(0);
    const [summary, header, ...rows] = nonEmptyLines(all.stdout);
    expect(summary).toBe(
      `${prefix}payment_successful_dlq: 2 record(s), 2 to handle; 2 match all records`,
    );
    expect(header).toMatch(
      /^PARTITION\s+OFFSET\s+STATUS\s+ERROR CLASS\s+ATTEMPTS\s+LAST FAILURE\s+ORIGINAL\s+KEY\s+ERROR\s+VALUE$/,
    );
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.includes(orderA))).toMatch(
      new RegExp(
        `pending\\s+unknown-order\\s+1\\s+\\S+\\s+${escape(prefix)}payment_successful/2/40\\s+${orderA}\\s+No order has id .*"paymentId":"pay-a"`,
      ),
    );
    expect(rows.find((row) => row.includes(orderB))).toContain(
      `(not Confluent-framed) hex ${Buffer.from('not avro').toString('hex')}`,
    );
    expect(nonEmptyLines(limited.stdout)[0]).toMatch(
      /2 match all records, showing the first 1 \(--limit\)$/,
    );
    expect(nonEmptyLines(limited.stdout)).toHaveLength(3);
    const selectedRows = nonEmptyLines(selected.stdout).slice(2);
    expect(selectedRows).toEqual([expect.stringContaining(orderB)]);
  });

  test('when a handled record is shown, then its status says what was done', async () => {
    const result = await runDlqCli(['show', 'payment_failed', '--json'], env);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        status: 'skipped',
        handledAt: expect.stringMatching(/^\d{4}-/),
        errorClass: 'Error',
        attempts: 5,
        valueHex: '01',
      }),
    ]);
  });

  test.each([
    [[], 'dlq: a command is required: list, show, replay or skip (see --help)'],
    [['purge'], 'dlq: unknown command "purge" (expected list, show, replay or skip) (see --help)'],
    [['show'], 'dlq: show needs a <topic> (see --help)'],
    [
      ['show', 't', '--limit', 'ten'],
      'dlq: --limit must be a positive whole number (got "ten") (see --help)',
    ],
    [
      ['replay', 't', '--offset', '9..3', '--reason', 'test'],
      'dlq: --offset 9..3 is empty: 9 is after 3 (see --help)',
    ],
    [
      ['replay', 't', '--offset', 'x', '--reason', 'test'],
      'dlq: --offset must be A..B, A.., ..B or A with whole numbers (got "x") (see --help)',
    ],
    [
      ['skip', 't', '--include-handled', '--reason', 'test'],
      'dlq: skip does not take --include-handled (see --help)',
    ],
    [['list', '--dry-run'], 'dlq: list does not take --dry-run (see --help)'],
    [['show', 't', '--verbose'], 'dlq: unknown option --verbose (see --help)'],
    [['show', 't', 'u'], 'dlq: unexpected argument "u" (see --help)'],
  ])('when the arguments are %j, then it prints one line and exits 2', async (args, line) => {
    const result = await runDlqCli(args, env);

    expect(result).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  test('when asked for help, then it prints the usage and exits 0', async () => {
    const result = await runDlqCli(['--help'], {});

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: npm run dlq -- <command>/);
    expect(result.stdout).toContain('dead_letter_actions');
  });

  test('when the environment is incomplete, then it prints one line naming the keys and exits 1', async () => {
    const result = await runDlqCli(['list'], { SCHEMA_REGISTRY_URL: registryUrl });

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'dlq: Invalid configuration: DATABASE_URL is required (missing); KAFKA_BROKERS is required (missing)\n',
    });
  });

  test('when the broker cannot be reached, then it prints one line naming the broker and exits 1', async () => {
    const broker = `127.0.0.1:${await closedPort()}`;

    const result = await runDlqCli(
      ['show', 'payment_successful'],
      { ...env, KAFKA_BROKERS: broker },
      30_000,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(nonEmptyLines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^dlq: Kafka at ${broker} failed: .*ECONNREFUSED`)),
    ]);
  });

  test('when the database cannot be reached, then it prints one line naming it and exits 1', async () => {
    const url = `postgresql://postgres:secret@127.0.0.1:${await closedPort()}/orders`;

    const result = await runDlqCli(['list'], { ...env, DATABASE_URL: url }, 30_000);

    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('secret');
    expect(nonEmptyLines(result.stderr)).toEqual([
      expect.stringMatching(
        /^dlq: database at postgresql:\/\/postgres:\[REDACTED\]@127\.0\.0\.1:\d+\/orders is not reachable: /,
      ),
    ]);
  });

  test('when the topic is not a DLQ topic under the prefix, then it prints one line listing the known ones and exits 1', async () => {
    const result = await runDlqCli(
      ['replay', 'payment_refunded', '--all', '--reason', 'test'],
      env,
    );

    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `dlq: no dead-letter topic "payment_refunded" under prefix "${prefix}"; ` +
        `known: ${prefix}payment_failed_dlq, ${prefix}payment_successful_dlq\n`,
    });
  });
});

/** Partition and offset of every record in the topic, from its watermarks. */
async function recordPositions(brokers: string[], topic: string) {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.flatMap(({ partition, low, high }) =>
      Array.from({ length: Number(high) - Number(low) }, (_, i) => ({
        partition,
        offset: String(Number(low) + i),
      })),
    );
  } finally {
    await admin.disconnect();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
