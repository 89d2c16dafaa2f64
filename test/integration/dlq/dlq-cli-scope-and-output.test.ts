import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { DLQ_HEADERS } from '../../../src/messaging/dead-letter-headers';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { nonEmptyLines, runDlqCli, type DlqCliEnv } from '../../support/dlq-cli';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { ensureTopics } from '../../support/service-topics';

/** What a terminal would act on instead of print: C0 (ESC among them), DEL, C1, bidi controls. */
const TERMINAL_UNSAFE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The DLQ tool's reach and what it prints, through its real entry point: only the dead-letter
 * topics of the topics the service consumes, under its prefix; `replay` needs a selector or
 * --all; and whatever a dead letter holds (keys and headers with escape sequences, error texts
 * quoting credentials, as an older service version wrote them) reaches the terminal inert.
 */
describe('order-dlq: scope and output hygiene', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  const brokerList = brokers.split(',');
  const prefix = uniqueTopicPrefix();
  const dlq = `${prefix}payment_successful_dlq`;
  const foreign = `${prefix}ledger_entries_dlq`;
  const otherPrefix = `${uniqueTopicPrefix()}payment_successful_dlq`;
  const key = `\u001b]0;pwned\u0007${randomUUID()}\u001b[2J`;
  let database: TestDatabase;
  let producer: Producer;

  const env = (topicPrefix = prefix): DlqCliEnv => ({
    DATABASE_URL: database.url,
    KAFKA_BROKERS: brokers,
    SCHEMA_REGISTRY_URL: registryUrl,
    KAFKA_TOPIC_PREFIX: topicPrefix,
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    await ensureTopics(brokerList, [dlq, foreign, otherPrefix, `${prefix}payment_successful`]);
    const kafka = new Kafka({ brokers: brokerList, logLevel: logLevel.NOTHING });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // Written directly, as a service before this change wrote them: raw error text, raw key.
    const deadLetter = {
      key,
      value: Buffer.from('not avro'),
      headers: {
        'x-note': 'right\u202eto-left \u009b31m',
        [DLQ_HEADERS.originalTopic]: `${prefix}payment_successful`,
        [DLQ_HEADERS.originalPartition]: '0',
        [DLQ_HEADERS.originalOffset]: '5',
        [DLQ_HEADERS.errorClass]: 'bad\u001b[31m-class',
        [DLQ_HEADERS.errorMessage]:
          'registry https://svc:hunter2@registry.example/apis failed (Authorization: Bearer tok-abcdefghij)',
        [DLQ_HEADERS.attempts]: '1',
      },
    };
    for (const topic of [dlq, foreign, otherPrefix]) {
      await producer.send({ topic, messages: [deadLetter] });
    }
  }, 60_000);
  afterAll(async () => {
    await producer?.disconnect();
    await database?.drop();
  });

  test('when a dead letter has escape sequences in its key and headers, then show prints them escaped, in the table and as JSON', async () => {
    const table = await runDlqCli(['show', 'payment_successful'], env());
    const json = await runDlqCli(['show', 'payment_successful', '--json'], env());

    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(TERMINAL_UNSAFE);
    expect(table.stdout).toContain('\\u{1b}]0;pwned\\u{7}');
    expect(table.stdout).toContain('bad\\u{1b}[31m-class');
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(TERMINAL_UNSAFE);
    const [record] = JSON.parse(json.stdout);
    // JSON's own escapes: the document still says exactly what the record holds.
    expect(record.key).toBe(key);
    expect(record.headers['x-note']).toBe('right\u202eto-left \u009b31m');
  });

  test('when a dry run lists what it would replay, then its table prints them escaped too', async () => {
    const result = await runDlqCli(['replay', 'payment_successful', '--all', '--dry-run'], env());

    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(TERMINAL_UNSAFE);
    expect(result.stdout).toContain('\\u{1b}[2J');
  });

  test('when a dead letter error text quotes credentials, then no output shows them', async () => {
    const table = await runDlqCli(['show', 'payment_successful'], env());
    const json = await runDlqCli(['show', 'payment_successful', '--json'], env());

    for (const output of [table.stdout, json.stdout]) {
      expect(output).not.toContain('hunter2');
      expect(output).not.toContain('tok-abcdefghij');
    }
    expect(JSON.parse(json.stdout)[0].errorMessage).toContain('https://svc:[REDACTED]@registry');
  });

  test('when list runs, then it names only the dead-letter topics of consumed topics under the prefix', async () => {
    const result = await runDlqCli(['list', '--json'], env());

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).map((row: { topic: string }) => row.topic)).toEqual([dlq]);
  });

  test.each([
    ['a _dlq topic under the prefix the service does not consume', foreign, () => prefix],
    ['a dead-letter topic under another prefix', otherPrefix, () => prefix],
    ['any _dlq topic, with the default empty prefix', dlq, () => ''],
  ])('when the topic is %s, then every command refuses it and exits 1', async (_what, topic, p) => {
    for (const args of [
      ['show', topic],
      ['replay', topic, '--all', '--reason', 'test'],
      ['skip', topic, '--offset', '0', '--reason', 'test'],
    ]) {
      const result = await runDlqCli(args, env(p()));
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(nonEmptyLines(result.stderr)).toEqual([
        expect.stringMatching(
          /^dlq: ".+" is not a dead-letter topic of this service; under prefix/,
        ),
      ]);
    }
  });

  test('when replay has no selector and no --all, then it is refused before anything is read', async () => {
    const result = await runDlqCli(['replay', 'payment_successful'], env());

    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'dlq: replay needs a selector (--offset, --partition, --error-class, --order-id) or --all (see --help)\n',
    });
  });
});
