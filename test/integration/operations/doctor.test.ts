/**
 * `npm run doctor` through its real entry point, against the real Postgres, broker and registry:
 * exit 0 only when the service can run, and the row that says why when it cannot.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AclOperationTypes as Op,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { Client } from 'pg';
import { serviceTopics } from '../../../src/messaging/topic-provisioning';
import { startAuthorizingBroker, type AuthorizingBroker } from '../../support/authorizing-broker';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { jvmBrokerUnavailableReason } from '../../support/kafka-jvm-broker';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { sharedStackEnv } from '../../support/order-service-harness';
import { ensureTopics } from '../../support/service-topics';

const ROOT = path.resolve(__dirname, '../../..');
const realBrokerOnly = sharedKafkaStack().flavour === 'real' ? describe : describe.skip;
const jvmOnly = jvmBrokerUnavailableReason() ? describe.skip : describe;

interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The table's row for `check`, e.g. `topic t1.payment_successful`. */
  rowOf(check: string): string | undefined;
}

function runDoctor(env: Record<string, string>, args: string[] = []): Promise<DoctorRun> {
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'node_modules/.bin/tsx'),
      [path.join(ROOT, 'src/entry-points/cli/doctor.ts'), ...args],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          NODE_ENV: 'test',
          AUTH_MODE: 'none',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        const rowOf = (check: string) =>
          stdout.split('\n').find((line) => line.split(/\s{2,}/)[1] === check);
        resolve({ code, stdout, stderr, rowOf });
      },
    );
  });
}

realBrokerOnly('npm run doctor against the shared Postgres, broker and registry', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let prefix: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { ...sharedStackEnv(), KAFKA_CREATE_TOPICS: 'false', DATABASE_URL: database.url };
    prefix = env.KAFKA_TOPIC_PREFIX as string;
    await ensureTopics([env.KAFKA_BROKERS as string], serviceTopics(prefix));
  });
  afterAll(() => database.drop());

  test('when everything is in place, then it exits 0 and says there is no authorizer', async () => {
    const subject = `${prefix}order_confirmed-value`;
    const schema = readFileSync(path.join(ROOT, 'schemas/order_confirmed.avsc'), 'utf8');
    // As the service's start-up does: the subject's level first, then the schema.
    const level = await fetch(`${env.SCHEMA_REGISTRY_URL}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'FULL_TRANSITIVE' }),
    });
    expect(level.ok).toBe(true);
    const registered = await fetch(`${env.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema }),
    });
    expect(registered.ok).toBe(true);
    const run = await runDoctor(env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.rowOf('reachable')).toMatch(/^database\s+reachable\s+OK\s+PostgreSQL 15/);
    expect(run.rowOf('migrated to this version')).toMatch(/OK\s+all \d+ migrations applied/);
    expect(run.rowOf(`topic ${prefix}payment_successful`)).toMatch(
      /OK\s+4 partitions, replication 1, in sync 1/,
    );
    expect(run.rowOf('authorizer')).toMatch(
      /WARN\s+no authorizer: anyone may write the reply topics/,
    );
    expect(run.stdout).toMatch(/registry\s+reachable\s+OK/);
    expect(run.rowOf(`subject ${subject}`)).toMatch(
      /OK\s+version 1 \(id \d+\), compatibility FULL_TRANSITIVE/,
    );
    expect(run.rowOf(`subject ${prefix}order_failed-value`)).toMatch(/OK\s+not registered yet/);
    expect(run.stdout).toContain('The service can run here');
  });

  test('when a topic is missing, then it exits 1 with that topic’s row saying so', async () => {
    const other = { ...env, KAFKA_TOPIC_PREFIX: `${prefix}other.` };
    const topics = serviceTopics(`${prefix}other.`);
    await ensureTopics(
      [env.KAFKA_BROKERS as string],
      topics.filter((t) => !t.endsWith('payment_refunded_dlq')),
    );
    const run = await runDoctor(other);
    expect(run.code).toBe(1);
    expect(run.rowOf(`topic ${prefix}other.payment_refunded_dlq`)).toMatch(
      /FAIL\s+missing: create it, or set KAFKA_CREATE_TOPICS=true/,
    );
    expect(run.stdout).toContain('1 check(s) failed');
  });

  test('when the database is not migrated, then it exits 1 with the migration row saying so', async () => {
    const empty = await createTestDatabase({ empty: true });
    const behind = await createTestDatabase();
    try {
      const unmigrated = await runDoctor({ ...env, DATABASE_URL: empty.url });
      expect(unmigrated.code).toBe(1);
      expect(unmigrated.rowOf('migrated to this version')).toMatch(
        /FAIL\s+not migrated: run npm run db:migrate/,
      );
      const sql = new Client({ connectionString: behind.url });
      await sql.connect();
      await sql.query(
        'DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)',
      );
      await sql.end();
      const oneBehind = await runDoctor({ ...env, DATABASE_URL: behind.url });
      expect(oneBehind.code).toBe(1);
      expect(oneBehind.rowOf('migrated to this version')).toMatch(
        /FAIL\s+1 of \d+ migrations not applied \(\d+_\w+\): run npm run db:migrate/,
      );
    } finally {
      await Promise.all([empty.drop(), behind.drop()]);
    }
  });
});

jvmOnly('npm run doctor against a broker that enforces ACLs', () => {
  let cluster: AuthorizingBroker;
  let database: TestDatabase;
  const prefix = 'acl.';
  const group = 'order-saga-acl';

  beforeAll(async () => {
    [cluster, database] = await Promise.all([startAuthorizingBroker(), createTestDatabase()]);
    const kafka = new Kafka({
      brokers: cluster.broker.brokers, // PLAINTEXT: a super user, as the operator
      logLevel: logLevel.NOTHING,
    });
    await ensureTopicsOn(kafka, serviceTopics(prefix));
    const admin = kafka.admin();
    await admin.connect();
    const allow = (
      principal: string,
      resourceType: AclResourceTypes,
      resourceName: string,
      operation: Op,
      resourcePatternType = ResourcePatternTypes.PREFIXED,
    ) => ({
      principal: `User:${principal}`,
      host: '*',
      resourceType,
      resourceName,
      resourcePatternType,
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    const service = cluster.service.username;
    await admin.createAcls({
      acl: [
        allow(
          service,
          AclResourceTypes.CLUSTER,
          'kafka-cluster',
          Op.DESCRIBE,
          ResourcePatternTypes.LITERAL,
        ),
        allow(service, AclResourceTypes.TOPIC, prefix, Op.WRITE),
        allow(service, AclResourceTypes.TOPIC, prefix, Op.READ),
        // No READ on the consumer group: the doctor must say so.
        allow(
          cluster.stranger.username,
          AclResourceTypes.TOPIC,
          `${prefix}payment_successful`,
          Op.WRITE,
          ResourcePatternTypes.LITERAL,
        ),
      ],
    });
    await admin.disconnect();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  test('when the group may not be read and a stranger may write a reply topic, then both rows say so', async () => {
    const run = await runDoctor(
      {
        ...sharedStackEnv(),
        ...cluster.envFor(cluster.service),
        DATABASE_URL: database.url,
        KAFKA_CREATE_TOPICS: 'false',
        KAFKA_TOPIC_PREFIX: prefix,
        SAGA_CONSUMER_GROUP: group,
      },
      ['--reply-writers', 'User:payment-service'],
    );
    expect(run.code).toBe(1);
    const me = `User:${cluster.service.username}`;
    expect(run.rowOf('write produced topics')).toMatch(
      new RegExp(`OK\\s+${me} may WRITE, DESCRIBE`),
    );
    expect(run.rowOf('read reply topics')).toMatch(/OK/);
    expect(run.rowOf('read its consumer group')).toMatch(
      new RegExp(`FAIL\\s+${me} lacks READ on ${group}`),
    );
    expect(run.rowOf(`who may write ${prefix}payment_successful`)).toMatch(
      /WARN\s+User:stranger may write it besides the expected writers/,
    );
    expect(run.rowOf(`who may write ${prefix}payment_failed`)).toMatch(/OK/);
    expect(run.stdout).not.toContain(cluster.service.password);
  });
});

async function ensureTopicsOn(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}
