import { randomUUID } from 'node:crypto';
import { UnknownOrderError } from '../../../src/domain/saga-errors';
import {
  runDlqCli,
  startDeadLetterFixture,
  type DeadLetterFixture,
  type DlqCliEnv,
} from '../../support/dlq-cli';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const database = freshDatabase();

/**
 * Every replay and skip of `order-dlq` leaves one operator_audit row per record: who
 * (DLQ_ACTOR), why (--reason), what, on which record, and what came of it; a second action on
 * the same record adds a row, it never overwrites the first. Without an actor nothing changes.
 */
describe('order-dlq: the operators audit', () => {
  const { brokers, registryUrl } = sharedKafkaStack();
  let fixture: DeadLetterFixture;

  beforeAll(async () => {
    fixture = await startDeadLetterFixture(brokers.split(','));
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  const cliEnv = (prefix: string, actor: string | undefined): DlqCliEnv => ({
    DATABASE_URL: database.url,
    KAFKA_BROKERS: brokers,
    SCHEMA_REGISTRY_URL: registryUrl,
    KAFKA_TOPIC_PREFIX: prefix,
    DLQ_ACTOR: actor,
  });

  async function auditOf(target: string) {
    const { rows } = await database.sql.query(
      `SELECT actor, role, via, action, reason, result FROM operator_audit
       WHERE target LIKE $1 ORDER BY id`,
      [`${target}%`],
    );
    return rows;
  }

  async function deadLetterOne(prefix: string) {
    const source = `${prefix}payment_failed`;
    const order = randomUUID();
    await fixture.deadLetter(
      { topic: source, partition: 0, offset: '7', key: order, value: Buffer.from('v') },
      new UnknownOrderError(order),
    );
    return { dlq: `${source}_dlq`, order };
  }

  test('when an operator skips and then replays a record, then both are audited with actor and reason, in order', async () => {
    const prefix = uniqueTopicPrefix();
    const { dlq } = await deadLetterOne(prefix);

    const skip = await runDlqCli(
      ['skip', 'payment_failed', '--reason', 'peer fixed it, ticket 7'],
      cliEnv(prefix, 'alice'),
    );
    const replay = await runDlqCli(
      ['replay', 'payment_failed', '--all', '--include-handled', '--reason', 'second look'],
      cliEnv(prefix, 'bob'),
    );

    expect([skip.code, replay.code]).toEqual([0, 0]);
    expect(await auditOf(`dlq:${dlq}/`)).toEqual([
      {
        actor: 'alice',
        role: 'operator',
        via: 'cli',
        action: 'skip',
        reason: 'peer fixed it, ticket 7',
        result: 'done',
      },
      {
        actor: 'bob',
        role: 'operator',
        via: 'cli',
        action: 'replay',
        reason: 'second look',
        result: 'done',
      },
    ]);
  });

  test('when DLQ_ACTOR is not set, then replay and skip are refused with one line and nothing is marked or audited', async () => {
    const prefix = uniqueTopicPrefix();
    const { dlq } = await deadLetterOne(prefix);

    for (const command of ['replay', 'skip']) {
      const result = await runDlqCli(
        [
          command,
          'payment_failed',
          ...(command === 'replay' ? ['--all'] : []),
          '--reason',
          'no name',
        ],
        cliEnv(prefix, undefined),
      );
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr:
          "dlq: DLQ_ACTOR is not set: replay and skip write who acted to the operators' audit; " +
          'set it to your own name (nothing was changed)\n',
      });
    }
    const { rows } = await database.sql.query(
      'SELECT 1 FROM dead_letter_actions WHERE dlq_topic = $1',
      [dlq],
    );
    expect(rows).toEqual([]);
    expect(await auditOf(`dlq:${dlq}/`)).toEqual([]);
    // A dry run changes nothing, so it needs no actor.
    const dryRun = await runDlqCli(
      ['replay', 'payment_failed', '--all', '--dry-run'],
      cliEnv(prefix, undefined),
    );
    expect(dryRun.code).toBe(0);
  });

  test('when someone tries to rewrite or erase the audit, even as the tables owner, then Postgres refuses', async () => {
    await database.sql.query(
      `INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
       VALUES ('mallory', 'operator', 'cli', 'skip', 'dlq:x/0/1', 'cover-up', 'done')`,
    );
    await expect(
      database.sql.query(`UPDATE operator_audit SET actor = 'someone else'`),
    ).rejects.toThrow(/operator_audit is append-only: UPDATE refused/);
    await expect(database.sql.query('DELETE FROM operator_audit')).rejects.toThrow(
      /operator_audit is append-only: DELETE refused/,
    );
    await expect(database.sql.query('TRUNCATE operator_audit')).rejects.toThrow(
      /operator_audit is append-only: TRUNCATE refused/,
    );
    await expect(
      database.sql.query(
        `INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
         VALUES ('a', 'operator', 'cli', 'drop-table', 't', 'r', 'done')`,
      ),
    ).rejects.toThrow(/operator_audit: unknown action drop-table/);
  });
});
