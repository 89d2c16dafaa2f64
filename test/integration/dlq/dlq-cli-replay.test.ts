import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { UnknownOrderError } from '../../../src/domain/saga-errors';
import { PoisonRecordError } from '../../../src/messaging/failure-policy';
import {
  nonEmptyLines,
  runDlqCli,
  startDeadLetterFixture,
  type DeadLetterFixture,
  type DlqCliEnv,
} from '../../support/dlq-cli';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { readRawTopics, type RawTopicReader } from '../../support/raw-topic-reader';
import { ensureTopics } from '../../support/service-topics';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const database = freshDatabase();

/**
 * `order-dlq replay` and `skip` through the real entry point. Each test has a topic prefix of its
 * own, so its DLQ and source topics hold only what it wrote. Records are dead-lettered by the
 * service's own publisher; the source topics start empty, so whatever appears there was replayed.
 */
describe('order-dlq: replay and skip', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  const brokerList = brokers.split(',');
  let fixture: DeadLetterFixture;
  const readers: RawTopicReader[] = [];

  beforeAll(async () => {
    fixture = await startDeadLetterFixture(brokerList);
  });
  afterAll(async () => {
    await Promise.all(readers.map((reader) => reader.stop()));
    await fixture?.stop();
  });

  function cliEnv(prefix: string): DlqCliEnv {
    return {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
    };
  }

  async function readRaw(topic: string): Promise<RawTopicReader> {
    const reader = await readRawTopics(brokerList, [topic]);
    readers.push(reader);
    return reader;
  }

  async function recordCount(topic: string): Promise<number> {
    const admin = new Kafka({ brokers: brokerList, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async function actions(dlqTopic: string) {
    const { rows } = await database.sql.query(
      `SELECT dlq_partition AS partition, dlq_offset::text AS offset, action
       FROM dead_letter_actions WHERE dlq_topic = $1 ORDER BY dlq_partition, dlq_offset`,
      [dlqTopic],
    );
    return rows;
  }

  /** Where the CLI says each record is, by key. */
  async function positionsByKey(prefix: string, topic: string) {
    const result = await runDlqCli(['show', topic, '--json'], cliEnv(prefix));
    expect(result.code).toBe(0);
    const records: { key: string; partition: number; offset: string }[] = JSON.parse(result.stdout);
    return Object.fromEntries(
      records.map(({ key, partition, offset }) => [key, { partition, offset }]),
    );
  }

  test('when replaying with --dry-run, then it lists what it would replay and neither sends nor marks anything', async () => {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}payment_successful`;
    const [orderA, orderB] = [randomUUID(), randomUUID()];
    await fixture.deadLetter(
      { topic: source, partition: 0, offset: '1', key: orderA, value: Buffer.from('a') },
      new UnknownOrderError(orderA),
    );
    await fixture.deadLetter(
      { topic: source, partition: 0, offset: '2', key: orderB, value: Buffer.from('b') },
      new PoisonRecordError('invalid-record', 'amount: too small'),
    );

    const result = await runDlqCli(
      ['replay', 'payment_successful', '--error-class', 'unknown-order', '--dry-run'],
      cliEnv(prefix),
    );

    expect(result).toMatchObject({ code: 0, stderr: '' });
    const output = nonEmptyLines(result.stdout);
    expect(output).toEqual([
      expect.stringMatching(/^PARTITION\s+OFFSET\s+STATUS\s+ERROR CLASS/),
      expect.stringContaining(orderA),
      `dry run: would replay 1 unhandled record(s) of ${source}_dlq matching ` +
        '--error-class unknown-order; nothing was sent or marked',
    ]);
    expect(await recordCount(source)).toBe(0);
    expect(await actions(`${source}_dlq`)).toEqual([]);
  });

  test('when replaying by order id, then that record is re-published with its original key, value and headers plus where it was replayed from, and marked replayed', async () => {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}payment_successful`;
    const dlq = `${source}_dlq`;
    const [orderA, orderB] = [randomUUID(), randomUUID()];
    const value = Buffer.from([0, 0, 0, 0, 7, 1, 2, 3, 255]);
    await fixture.deadLetter(
      {
        topic: source,
        partition: 3,
        offset: '17',
        key: orderA,
        value,
        headers: { 'event-id': 'event-a', traceparent: '00-abc-def-01' },
      },
      new UnknownOrderError(orderA),
    );
    await fixture.deadLetter(
      { topic: source, partition: 0, offset: '18', key: orderB, value: Buffer.from('b') },
      new UnknownOrderError(orderB),
    );
    const reader = await readRaw(source);
    const position = (await positionsByKey(prefix, 'payment_successful'))[orderA];

    const result = await runDlqCli(
      ['replay', dlq, '--order-id', orderA, '--reason', 'test'],
      cliEnv(prefix),
    );

    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout:
        `replayed 1 unhandled record(s) of ${dlq} matching --order-id ${orderA} ` +
        `(1 to ${source}); marked replayed\n`,
    });
    const [replayed] = await reader.waitFor(() => true);
    expect(replayed?.key?.toString()).toBe(orderA);
    expect(replayed?.value).toEqual(value);
    expect(replayed?.headers).toEqual({
      'event-id': 'event-a',
      traceparent: '00-abc-def-01',
      'dlq-replayed-from': `${dlq}/${position?.partition}/${position?.offset}`,
      'dlq-replayed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect(await actions(dlq)).toEqual([{ ...position, action: 'replayed' }]);
    const list = await runDlqCli(['list', '--json'], cliEnv(prefix));
    expect(JSON.parse(list.stdout)).toEqual([{ topic: dlq, records: 2, toHandle: 1 }]);
    expect(await recordCount(source)).toBe(1);
  });

  test('when replaying a second time, then handled records are left alone unless --include-handled, which sends them again unchanged', async () => {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}payment_failed`;
    const dlq = `${source}_dlq`;
    const order = randomUUID();
    await fixture.deadLetter(
      { topic: source, partition: 1, offset: '5', key: order, value: Buffer.from('payload') },
      new UnknownOrderError(order),
    );
    const reader = await readRaw(source);

    const first = await runDlqCli(
      ['replay', 'payment_failed', '--all', '--reason', 'test'],
      cliEnv(prefix),
    );
    const second = await runDlqCli(
      ['replay', 'payment_failed', '--all', '--reason', 'test'],
      cliEnv(prefix),
    );
    const forced = await runDlqCli(
      ['replay', 'payment_failed', '--all', '--include-handled', '--reason', 'test'],
      cliEnv(prefix),
    );

    expect(first.stdout).toMatch(/^replayed 1 unhandled record\(s\)/);
    expect(second).toEqual({
      code: 0,
      stderr: '',
      stdout: `nothing to replay: no unhandled record(s) of ${dlq} matching all records\n`,
    });
    expect(forced.stdout).toMatch(/^replayed 1 record\(s\) of .* matching all records/);
    const copies = await reader.waitFor(() => true, 2);
    expect(copies.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([
      [order, 'payload'],
      [order, 'payload'],
    ]);
    expect(copies[0]?.headers['dlq-replayed-from']).toBe(copies[1]?.headers['dlq-replayed-from']);
    expect(await actions(dlq)).toEqual([expect.objectContaining({ action: 'replayed' })]);
  });

  test('when skipping with selectors, then exactly the selected unhandled records are marked skipped and nothing is sent', async () => {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}inventory_reserved`;
    const dlq = `${source}_dlq`;
    const [orderA, orderB, orderC] = [randomUUID(), randomUUID(), randomUUID()];
    const deadLetter = (order: string, offset: string, error: Error) =>
      fixture.deadLetter(
        { topic: source, partition: 0, offset, key: order, value: Buffer.from(order) },
        error,
      );
    await deadLetter(orderA, '1', new UnknownOrderError(orderA));
    await deadLetter(orderB, '2', new PoisonRecordError('invalid-record', 'bad'));
    await deadLetter(orderC, '3', new UnknownOrderError(orderC));
    const positions = await positionsByKey(prefix, 'inventory_reserved');
    const b = positions[orderB] as { partition: number; offset: string };

    const dryRun = await runDlqCli(
      ['skip', 'inventory_reserved', '--error-class', 'unknown-order', '--dry-run'],
      cliEnv(prefix),
    );
    const byClassAndOrder = await runDlqCli(
      [
        'skip',
        'inventory_reserved',
        '--error-class',
        'unknown-order',
        '--order-id',
        orderC,
        '--reason',
        'test',
      ],
      cliEnv(prefix),
    );
    const byPosition = await runDlqCli(
      [
        'skip',
        dlq,
        '--partition',
        String(b.partition),
        '--offset',
        `${b.offset}..${b.offset}`,
        '--reason',
        'test',
      ],
      cliEnv(prefix),
    );

    expect(dryRun.code).toBe(0);
    const listed = nonEmptyLines(dryRun.stdout).slice(1, -1);
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([expect.stringContaining(orderA), expect.stringContaining(orderC)]),
    );
    expect(nonEmptyLines(dryRun.stdout).at(-1)).toBe(
      `dry run: would skip 2 unhandled record(s) of ${dlq} matching --error-class unknown-order; nothing was marked`,
    );
    expect(byClassAndOrder.stdout).toBe(
      `skipped 1 unhandled record(s) of ${dlq} matching --error-class unknown-order --order-id ${orderC}; marked skipped\n`,
    );
    expect(byPosition.stdout).toMatch(/^skipped 1 unhandled record\(s\)/);
    expect(await actions(dlq)).toEqual(
      expect.arrayContaining([
        { ...positions[orderB], action: 'skipped' },
        { ...positions[orderC], action: 'skipped' },
      ]),
    );
    expect(await actions(dlq)).toHaveLength(2);
    expect(await recordCount(source)).toBe(0);
    const list = await runDlqCli(['list', '--json'], cliEnv(prefix));
    expect(JSON.parse(list.stdout)).toEqual([{ topic: dlq, records: 3, toHandle: 1 }]);
  });

  test('when a DLQ record names another original topic than its DLQ, then nothing at all is replayed', async () => {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}payment_successful`;
    const order = randomUUID();
    await fixture.deadLetter(
      { topic: source, partition: 0, offset: '1', key: order, value: Buffer.from('fine') },
      new UnknownOrderError(order),
    );
    // It must exist to show that nothing reached it (a real cluster creates no topic on its own).
    await ensureTopics(brokerList, [`${prefix}order_confirmed`]);
    const producer = new Kafka({ brokers: brokerList, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: `${source}_dlq`,
      messages: [
        {
          key: order,
          value: Buffer.from('x'),
          headers: { 'dlq-original-topic': `${prefix}order_confirmed` },
        },
      ],
    });
    await producer.disconnect();

    const result = await runDlqCli(
      ['replay', 'payment_successful', '--all', '--reason', 'test'],
      cliEnv(prefix),
    );

    expect(result.code).toBe(1);
    expect(nonEmptyLines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^dlq: record \\d+/\\d+ of .* names ${prefix.replace('.', '\\.')}order_confirmed as its original topic`,
        ),
      ),
    ]);
    expect(await recordCount(source)).toBe(0);
    expect(await recordCount(`${prefix}order_confirmed`)).toBe(0);
    expect(await actions(`${source}_dlq`)).toEqual([]);
  });

  test('when a replay is long, then it reports progress on stderr and every record arrives in its order', async () => {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}payment_refunded`;
    const orders = [randomUUID(), randomUUID(), randomUUID()];
    const total = 450;
    for (let i = 0; i < total; i++) {
      const order = orders[i % orders.length] as string;
      await fixture.deadLetter(
        { topic: source, partition: 0, offset: String(i), key: order, value: Buffer.from(`${i}`) },
        new UnknownOrderError(order),
      );
    }
    const reader = await readRaw(source);

    const result = await runDlqCli(
      ['replay', 'payment_refunded', '--all', '--reason', 'test'],
      cliEnv(prefix),
    );

    expect(result.code).toBe(0);
    expect(nonEmptyLines(result.stderr)).toEqual([
      'replay: 200/450 records replayed',
      'replay: 400/450 records replayed',
      'replay: 450/450 records replayed',
    ]);
    const replayed = await reader.waitFor(() => true, total);
    expect(replayed).toHaveLength(total);
    for (const order of orders) {
      const values = replayed
        .filter((record) => record.key?.toString() === order)
        .map((record) => Number(record.value?.toString()));
      expect(values).toEqual([...values].sort((x, y) => x - y));
      expect(values).toHaveLength(total / orders.length);
    }
  });
});
