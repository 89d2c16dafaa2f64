import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  KAFKA_SECURITY_KEYS,
  kafkaSecurityOf,
  loadConfigKeys,
  REGISTRY_CONNECTION_KEYS,
  registryConnectionOf,
} from '../../../src/config';
import { createKafka, kafkaConnectionOptions } from '../../../src/messaging/kafka-client-factory';
import { createRegistryClient } from '../../../src/messaging/schema-registry-client';
import { physicalTopic } from '../../../src/messaging/topics';
import { ensureTopics } from '../../support/service-topics';
import { REDACTED } from '../../../src/shared/redaction';
import { createLogger } from '../../../src/shared/logger';
import { bearer, customerToken, jwtSettings, TEST_JWT_SECRET } from '../../support/auth-tokens';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { runDlqCli } from '../../support/dlq-cli';
import {
  jvmBrokerUnavailableReason,
  startJvmBroker,
  type JvmBroker,
} from '../../support/kafka-jvm-broker';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { aValidOrder, postOrder, uniqueTopicPrefix } from '../../support/order-service-harness';
import { runRegisterSchemas } from '../../support/register-schemas-cli';
import {
  startSecuredRegistryProxy,
  type SecuredRegistryProxy,
} from '../../support/secured-registry-proxy';
import { runServiceToExit, spawnService } from '../../support/service-process';
import {
  createTestCertificates,
  opensslUnavailableReason,
  type TestCertificates,
} from '../../support/test-certificates';
import { waitFor } from '../../support/wait-for';

const secret = (name: string) => `${name}-${randomBytes(9).toString('base64url')}`;
const SASL_USER = 'order-service';
const SASL_PASSWORD = secret('sasl');
const REGISTRY_USER = 'order-service';
const REGISTRY_PASSWORD = secret('registry');
const DB_PASSWORD = secret('db');
const SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';

/** Needs its own real broker (SASL and TLS listeners) and openssl for the certificates. */
const canRun = !jvmBrokerUnavailableReason() && !opensslUnavailableReason();
const describeIfRunnable = canRun ? describe : describe.skip;

describeIfRunnable(
  'secure connections: SASL and TLS to Kafka, basic auth and TLS to the registry',
  () => {
    let certificates: TestCertificates;
    let broker: JvmBroker;
    let registry: SecuredRegistryProxy;
    let database: TestDatabase;
    let databaseUrl: string;
    let dbRole: string;
    const topicPrefix = uniqueTopicPrefix();

    /** Everything a process needs to reach the secured broker and registry, as operators set it. */
    const secureEnv = (): Record<string, string> => ({
      KAFKA_BROKERS: broker.listeners.SECURE as string,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: certificates.caFile,
      KAFKA_SSL_CERT_FILE: certificates.clientCertFile,
      KAFKA_SSL_KEY_FILE: certificates.clientKeyFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: SASL_USER,
      KAFKA_SASL_PASSWORD: SASL_PASSWORD,
      SCHEMA_REGISTRY_URL: registry.url,
      SCHEMA_REGISTRY_USERNAME: REGISTRY_USER,
      SCHEMA_REGISTRY_PASSWORD: REGISTRY_PASSWORD,
      SCHEMA_REGISTRY_CA_FILE: certificates.caFile,
      SCHEMA_REGISTRY_CERT_FILE: certificates.clientCertFile,
      SCHEMA_REGISTRY_KEY_FILE: certificates.clientKeyFile,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      DATABASE_URL: databaseUrl,
    });

    beforeAll(async () => {
      certificates = createTestCertificates();
      [broker, database] = await Promise.all([
        startJvmBroker({
          listeners: { SASL: 'SASL_PLAINTEXT', SECURE: 'SASL_SSL' },
          scramCredentials: [
            { mechanism: 'SCRAM-SHA-256', username: SASL_USER, password: SASL_PASSWORD },
            { mechanism: 'SCRAM-SHA-512', username: SASL_USER, password: SASL_PASSWORD },
          ],
          properties: {
            'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
            'listener.name.sasl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${SASL_USER}="${SASL_PASSWORD}";`,
            'listener.name.sasl.scram-sha-256.sasl.jaas.config': SCRAM,
            'listener.name.sasl.scram-sha-512.sasl.jaas.config': SCRAM,
            'listener.name.secure.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
            'listener.name.secure.scram-sha-512.sasl.jaas.config': SCRAM,
            'listener.name.secure.ssl.client.auth': 'required',
            'ssl.keystore.type': 'PEM',
            'ssl.keystore.location': certificates.serverKeystoreFile,
            'ssl.truststore.type': 'PEM',
            'ssl.truststore.location': certificates.caFile,
          },
        }),
        createTestDatabase(),
      ]);
      registry = await startSecuredRegistryProxy({
        upstreamUrl: sharedKafkaStack().registryUrl,
        certificates,
        username: REGISTRY_USER,
        password: REGISTRY_PASSWORD,
        requireClientCertificate: true,
      });
      // A role with a password of this test's own, so that it can be looked for in the output.
      dbRole = `svc_${randomBytes(4).toString('hex')}`;
      const admin = new Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(`CREATE ROLE ${dbRole} LOGIN SUPERUSER PASSWORD '${DB_PASSWORD}'`);
      await admin.end();
      const url = new URL(database.url);
      url.username = dbRole;
      url.password = DB_PASSWORD;
      databaseUrl = url.toString();
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      await database?.drop();
      if (dbRole) {
        const admin = new Client({
          connectionString: database.url.replace(/\/[^/]*$/, '/postgres'),
        });
        await admin.connect();
        await admin.query(`DROP ROLE IF EXISTS ${dbRole}`).finally(() => admin.end());
      }
      await broker?.stop();
      certificates?.remove();
    });

    /** Reads one topic through the same client factory and keys the service uses. */
    async function firstRecordOn(topic: string): Promise<Record<string, unknown>> {
      const env = secureEnv();
      const security = kafkaSecurityOf(loadConfigKeys(KAFKA_SECURITY_KEYS, env));
      const kafka = createKafka({
        clientId: 'secure-reader',
        brokers: [env.KAFKA_BROKERS as string],
        requestTimeoutMs: 10_000,
        security,
        logger: createLogger('silent'),
      });
      const { registry: decoder } = createRegistryClient({
        ...registryConnectionOf(loadConfigKeys(REGISTRY_CONNECTION_KEYS, env)),
        retries: 1,
      });
      const consumer: Consumer = kafka.consumer({
        groupId: `reader-${randomBytes(4).toString('hex')}`,
      });
      const records: Record<string, unknown>[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            records.push(await decoder.decode(message.value as Buffer));
          },
        });
        await waitFor(async () => records.length > 0, {
          timeoutMs: 20_000,
          message: `a record on ${topic}`,
        });
        return records[0] as Record<string, unknown>;
      } finally {
        await consumer.disconnect();
      }
    }

    test('when the service runs with TLS, a client certificate and SCRAM-SHA-512 to Kafka, and TLS with basic auth to the registry, then an order reaches Kafka, and nothing secret is ever written', async () => {
      // The registry's first answer quotes the credentials it was sent, as some servers' errors
      // do: the service logs that failure, and the log line must not carry the password.
      registry.echoCredentialsInErrors(8);
      const service = await spawnService(
        {
          ...secureEnv(),
          ...jwtSettings(),
          KAFKA_CREATE_TOPICS: 'true',
          KAFKA_REPLICATION_FACTOR: '1',
          KAFKA_TOPIC_PARTITIONS: '1',
          LOG_LEVEL: 'debug',
        },
        { outputLimit: 5_000_000 },
      );
      const answers: string[] = [];
      let exitCode: number | null = null;
      try {
        const placed = await postOrder(
          service.url,
          aValidOrder({ customerId: undefined }),
          bearer(await customerToken('secure-1')),
        );
        const placedBody = await placed.text();
        answers.push(placedBody);
        expect(placed.status).toBe(202);
        const order = JSON.parse(placedBody);

        // Topics are provisioned in the background, before the consumer joins: wait for that.
        await waitFor(
          async () =>
            ((await (await fetch(`${service.adminUrl}/ready`)).json()) as { sagaConsumer?: string })
              .sagaConsumer === 'running',
          { timeoutMs: 60_000, message: 'the saga consumer joining over SASL_SSL' },
        );
        const record = await firstRecordOn(physicalTopic(topicPrefix, 'process_payment_request'));
        expect(record).toMatchObject({ orderId: order.id, customerId: 'secure-1' });

        // Answers that might tempt a service to say too much.
        for (const [url, init] of [
          [`${service.url}/api/v1/orders`, { headers: bearer('garbage') }],
          [`${service.url}/api/v1/orders/${order.id}`, {}],
          [`${service.url}/ready`, {}],
          [`${service.adminUrl}/ready`, {}],
          [`${service.adminUrl}/metrics`, {}],
        ] as const) {
          answers.push(await (await fetch(url, init)).text());
        }
        // The saga's connections die under it: the pool and the relay log what pg says.
        const admin = new Client({ connectionString: database.url });
        await admin.connect();
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1',
          [dbRole],
        );
        await admin.end();
        await waitFor(async () => (await fetch(`${service.url}/ready`)).ok, {
          message: 'ready again',
        });
      } finally {
        exitCode = await service.terminate();
      }
      expect(exitCode).toBe(0);

      const written = [service.output(), ...answers].join('\n');
      expect(written).toContain('schema registry unreachable at start-up');
      expect(written).toContain(REDACTED);
      for (const value of [SASL_PASSWORD, REGISTRY_PASSWORD, DB_PASSWORD, TEST_JWT_SECRET]) {
        expect(written).not.toContain(value);
      }
    });

    test.each([['scram-sha-256'], ['plain']])(
      'when a client uses SASL %s on the SASL listener, then the broker lets it in',
      async (mechanism) => {
        const env = {
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: SASL_USER,
          KAFKA_SASL_PASSWORD: SASL_PASSWORD,
        };
        const kafka = createKafka({
          clientId: 'sasl-check',
          brokers: [broker.listeners.SASL as string],
          requestTimeoutMs: 5_000,
          security: kafkaSecurityOf(loadConfigKeys(KAFKA_SECURITY_KEYS, env)),
          logger: createLogger('silent'),
        });
        const admin = kafka.admin();
        await admin.connect();
        try {
          expect(await admin.listTopics()).toEqual(expect.any(Array));
        } finally {
          await admin.disconnect();
        }
      },
    );

    test('when the SASL password is wrong, then start-up fails with one line that does not quote it', async () => {
      const wrong = secret('wrong');
      const { code, output } = await runServiceToExit({
        ...secureEnv(),
        KAFKA_BROKERS: broker.listeners.SASL as string,
        KAFKA_SSL: 'false',
        KAFKA_SSL_CA_FILE: '',
        KAFKA_SSL_CERT_FILE: '',
        KAFKA_SSL_KEY_FILE: '',
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_PASSWORD: wrong,
        KAFKA_CREATE_TOPICS: 'true',
        KAFKA_REPLICATION_FACTOR: '1',
      });
      expect(code).toBe(1);
      const lastLine = output.trim().split('\n').at(-1) ?? '';
      expect(lastLine).toMatch(/^Failed to start: .*SASL SCRAM SHA256 authentication failed/);
      expect(output).not.toContain(wrong);
    });

    test.each([
      ['no client certificate', { cert: undefined }],
      ['a CA that did not sign the broker', { ca: 'other' }],
    ])('when the TLS client has %s, then the broker cannot be reached', async (_case, change) => {
      const tls = {
        caFile: 'ca' in change ? certificates.otherCaFile : certificates.caFile,
        ...('cert' in change
          ? {}
          : { certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile }),
      };
      const kafka = new Kafka({
        clientId: 'tls-check',
        brokers: [broker.listeners.SECURE as string],
        ...kafkaConnectionOptions({
          tls,
          sasl: { mechanism: 'scram-sha-512', username: SASL_USER, password: SASL_PASSWORD },
        }),
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await expect(admin.connect()).rejects.toThrow(
        'ca' in change ? /unable to verify/ : /certificate/,
      );
      await admin.disconnect();
    });

    test('when schemas:register reaches the secured registry with the same keys, then it registers; with a wrong password or without the CA, it fails in one line', async () => {
      const env = { ...secureEnv(), KAFKA_TOPIC_PREFIX: uniqueTopicPrefix() };
      const ok = await runRegisterSchemas(env);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/subject=.*process_payment_request-value id=\d+/);

      const wrong = secret('wrong');
      const refused = await runRegisterSchemas({ ...env, SCHEMA_REGISTRY_PASSWORD: wrong });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /^schemas:register failed: Schema registry at https:\/\/127\.0\.0\.1:\d+ failed: .*401/,
      );
      expect(refused.stderr + refused.stdout).not.toContain(wrong);

      const untrusted = await runRegisterSchemas({ ...env, SCHEMA_REGISTRY_CA_FILE: '' });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/certificate/i);
    });

    test('when the DLQ tool runs with the same keys, then it lists the dead-letter topics over SASL_SSL', async () => {
      // Its own topic: the one the service test creates may not exist yet (tests run in any order).
      await ensureTopics(broker.brokers, [physicalTopic(topicPrefix, 'payment_successful_dlq')]);
      const result = await runDlqCli(['list', '--json'], secureEnv());
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const topics = JSON.parse(result.stdout).map((entry: { topic: string }) => entry.topic);
      expect(topics).toContain(physicalTopic(topicPrefix, 'payment_successful_dlq'));
    });
  },
);
