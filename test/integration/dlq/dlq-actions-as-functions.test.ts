import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { UnknownOrderError } from '../../../src/domain/saga-errors';
import { loadDlqConfig } from '../../../src/entry-points/cli/dlq/cli-config';
import { CliError } from '../../../src/entry-points/cli/dlq/cli-errors';
import { createDlqContext, type DlqContext } from '../../../src/entry-points/cli/dlq/cli-context';
import { readDeadLetterTopic } from '../../../src/entry-points/cli/dlq/dead-letter-records';
import { replayRecords } from '../../../src/entry-points/cli/dlq/replay-command';
import { skipRecords } from '../../../src/entry-points/cli/dlq/skip-command';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { startDeadLetterFixture, type DeadLetterFixture } from '../../support/dlq-cli';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';

/**
 * The DLQ tool's replay and skip as functions, without a command line (as the operator console
 * calls them): the same audit rows, under the caller's actor, reason and channel, and the same
 * refusal of a change without who and why.
 */
describe('order-dlq: replay and skip called as functions', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  const brokerList = brokers.split(',');
  let database: TestDatabase;
  let sql: Client;
  let fixture: DeadLetterFixture;
  const contexts: DlqContext[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    fixture = await startDeadLetterFixture(brokerList);
  });
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await fixture?.stop();
    await sql?.end();
    await database?.drop();
  });

  /** One dead letter of payment_failed under a prefix of its own, read back as the tool reads it. */
  async function deadLettered() {
    const prefix = uniqueTopicPrefix();
    const source = `${prefix}payment_failed`;
    const order = randomUUID();
    await fixture.deadLetter(
      { topic: source, partition: 0, offset: '4', key: order, value: Buffer.from('v') },
      new UnknownOrderError(order),
    );
    const config = loadDlqConfig({
      DATABASE_URL: database.url,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_TOPIC_PREFIX: prefix,
    });
    const context = createDlqContext(config, { out: () => undefined, err: () => undefined });
    contexts.push(context);
    const dlq = `${source}_dlq`;
    const records = await readDeadLetterTopic(
      context.kafka,
      await context.admin(),
      dlq,
      context.readOptions,
    );
    expect(records).toHaveLength(1);
    return { context, source, dlq, records };
  }

  async function rowsOf(dlq: string) {
    const actions = await sql.query('SELECT action FROM dead_letter_actions WHERE dlq_topic = $1', [
      dlq,
    ]);
    const audit = await sql.query(
      `SELECT actor, via, action, reason, result FROM operator_audit
       WHERE target LIKE $1 ORDER BY id`,
      [`dlq:${dlq}/%`],
    );
    return { actions: actions.rows, audit: audit.rows };
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

  test('when a DLQ topic has been read, then the reader’s consumer group is gone from the broker', async () => {
    const { context, dlq } = await deadLettered();
    const admin = await context.admin();
    const prefix = `dlq-read-test-${randomUUID().slice(0, 8)}-`;
    const ours = async () =>
      (await admin.listGroups()).groups.filter((group) => group.groupId.startsWith(prefix));

    const records = await readDeadLetterTopic(context.kafka, admin, dlq, {
      ...context.readOptions,
      groupIdPrefix: prefix,
    });

    expect(records).toHaveLength(1);
    expect(await ours()).toEqual([]);
  });

  test('when the console replays a record, then it is re-published, marked, and audited as the console', async () => {
    const { context, source, dlq, records } = await deadLettered();

    const perTopic = await replayRecords(context, dlq, records, {
      actor: 'carol',
      reason: ' INC-9 ',
      via: 'console',
    });

    expect([...perTopic]).toEqual([[source, 1]]);
    expect(await recordCount(source)).toBe(1);
    expect(await rowsOf(dlq)).toEqual({
      actions: [{ action: 'replayed' }],
      audit: [
        { actor: 'carol', via: 'console', action: 'replay', reason: 'INC-9', result: 'done' },
      ],
    });
  });

  test('when a caller gives no reason, then neither replay nor skip changes anything; with one, skip marks and audits', async () => {
    const { context, source, dlq, records } = await deadLettered();
    const noReason = { actor: 'carol', reason: '  ', via: 'console' as const };

    await expect(replayRecords(context, dlq, records, noReason)).rejects.toThrow(CliError);
    await expect(skipRecords(context.actions(), dlq, records, noReason)).rejects.toThrow(
      "a replay or skip needs who acts and why: both are written to the operators' audit",
    );
    expect(await recordCount(source)).toBe(0);
    expect(await rowsOf(dlq)).toEqual({ actions: [], audit: [] });

    await skipRecords(context.actions(), dlq, records, { ...noReason, reason: 'duplicate' });

    expect(await rowsOf(dlq)).toEqual({
      actions: [{ action: 'skipped' }],
      audit: [
        { actor: 'carol', via: 'console', action: 'skip', reason: 'duplicate', result: 'done' },
      ],
    });
  });
});
