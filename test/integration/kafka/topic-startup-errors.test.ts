/**
 * First contact with a cluster of one's own: the service names what is wrong with its topics.
 * Missing topics are named in the consumer's retry line and in the admin `/ready`, and waited
 * for; a configuration the broker refuses for good (a replication factor above its broker
 * count, topic authorization denied) stops start-up with one line and exit code 1.
 */
import { Kafka, logLevel } from 'kafkajs';
import { startOrderService, type RunningService } from '../../../src/application';
import { serviceTopics } from '../../../src/messaging/topic-provisioning';
import { startAuthorizingBroker, type AuthorizingBroker } from '../../support/authorizing-broker';
import { capturingLogger } from '../../support/capturing-logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { jvmBrokerUnavailableReason } from '../../support/kafka-jvm-broker';
import { readJson, sharedStackEnv, testConfig } from '../../support/order-service-harness';
import { runServiceToExit } from '../../support/service-process';
import { ensureTopics } from '../../support/service-topics';
import { waitFor } from '../../support/wait-for';

const realBrokerOnly = sharedKafkaStack().flavour === 'real' ? describe : describe.skip;
const jvmOnly = jvmBrokerUnavailableReason() ? describe.skip : describe;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

realBrokerOnly('topics missing or refused on the shared broker', () => {
  test('when the topics are missing, then the retry line and /ready name them, and the consumer joins once they exist', async () => {
    const { logger, entries } = capturingLogger('info');
    const config = testConfig({ DATABASE_URL: database.url, KAFKA_CREATE_TOPICS: 'false' });
    const prefix = config.KAFKA_TOPIC_PREFIX;
    let service: RunningService | undefined;
    try {
      service = await startOrderService(config, logger);
      const started = service;
      const line = await waitFor(
        () => entries.find((entry) => String(entry.error ?? '').includes('Kafka topics missing')),
        { timeoutMs: 20_000, message: 'a line naming the missing topics' },
      );
      expect(String(line.error)).toContain(`${prefix}process_payment_request`);
      expect(String(line.error)).toContain('and 12 more');
      expect(String(line.error)).toContain('KAFKA_CREATE_TOPICS=true');
      const ready = await readJson(await fetch(`${started.admin.url}/ready`));
      expect(ready.kafkaTopics).toEqual({
        status: 'missing',
        missing: expect.arrayContaining(serviceTopics(prefix)),
      });
      expect(ready.kafkaTopics.missing).toHaveLength(serviceTopics(prefix).length);

      await ensureTopics(config.KAFKA_BROKERS, serviceTopics(prefix));
      await waitFor(() => started.consumerState() === 'running', {
        timeoutMs: 30_000,
        message: 'the consumer joining once the topics exist',
      });
      const after = await readJson(await fetch(`${started.admin.url}/ready`));
      expect(after.kafkaTopics).toEqual({ status: 'present' });
    } finally {
      await service?.stop();
    }
  });

  test('when KAFKA_CREATE_TOPICS asks for more replicas than the cluster has brokers, then start-up stops with one line giving the reason', async () => {
    const env = sharedStackEnv();
    const { code, output } = await runServiceToExit({
      DATABASE_URL: database.url,
      KAFKA_BROKERS: env.KAFKA_BROKERS as string,
      SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
      KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_REPLICATION_FACTOR: '3',
    });
    expect(code).toBe(1);
    const lastLine = output.trim().split('\n').at(-1) ?? '';
    expect(lastLine).toMatch(
      /^Failed to start: .*INVALID_REPLICATION_FACTOR .*KAFKA_REPLICATION_FACTOR=3 but the cluster has 1 broker\(s\); set it to at most 1/,
    );
    // Nothing was created with a wrong replication factor.
    const admin = new Kafka({
      brokers: [env.KAFKA_BROKERS as string],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const listed = await admin.listTopics();
      expect(listed.filter((topic) => topic.startsWith(env.KAFKA_TOPIC_PREFIX as string))).toEqual(
        [],
      );
    } finally {
      await admin.disconnect();
    }
  }, 40_000);
});

jvmOnly('topics on a broker that denies this service', () => {
  let cluster: AuthorizingBroker;
  beforeAll(async () => {
    cluster = await startAuthorizingBroker();
  }, 90_000);
  afterAll(() => cluster?.stop());

  test.each(['false', 'true'])(
    'when topic authorization is denied (KAFKA_CREATE_TOPICS=%s), then start-up stops with one line saying what to grant',
    async (create) => {
      const env = sharedStackEnv();
      const { code, output } = await runServiceToExit({
        DATABASE_URL: database.url,
        ...cluster.envFor(cluster.service),
        SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL,
        KAFKA_TOPIC_PREFIX: env.KAFKA_TOPIC_PREFIX,
        KAFKA_CREATE_TOPICS: create,
        KAFKA_REPLICATION_FACTOR: '1',
      });
      expect(code).toBe(1);
      const lastLine = output.trim().split('\n').at(-1) ?? '';
      expect(lastLine).toMatch(
        /^Failed to start: .*_AUTHORIZATION_FAILED.*grant this service's principal/,
      );
      expect(output).not.toContain(cluster.service.password);
    },
    40_000,
  );
});
