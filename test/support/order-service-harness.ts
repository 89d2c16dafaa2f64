import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { startOrderService, type RunningService } from '../../src/application';
import { createTestDatabase } from './database';
import { sharedKafkaStack } from './kafka-stack';
import { MOCK_BROKER_CONSUMER_TUNING } from './kafka-mock-broker';
import { TEST_PARTITIONS } from './service-topics';
import { waitFor } from './wait-for';

export interface TestService {
  url: string;
  /** The admin port's base URL: /metrics and the detailed /ready. */
  adminUrl: string;
  config: Config;
  databaseUrl: string;
  service: RunningService;
  /** A plain pg client on the same database, for asserting what was stored. */
  sql: Client;
  stop(): Promise<void>;
}

/** A fresh topic prefix, so every test file (or test) has a topic set of its own. */
export function uniqueTopicPrefix(): string {
  return `t${randomBytes(4).toString('hex')}.`;
}

/**
 * Settings that depend on the broker: a real one has auto-creation off, so the service creates
 * its topics (and their dead-letter topics) at start-up; the mock has no CreateTopics and no
 * idempotent producer, and creates topics on first use.
 */
export function brokerSettings(flavour = sharedKafkaStack().flavour): Record<string, string> {
  return flavour === 'mock'
    ? { KAFKA_CREATE_TOPICS: 'false', KAFKA_IDEMPOTENT_PRODUCER: 'false' }
    : {
        KAFKA_CREATE_TOPICS: 'true',
        KAFKA_TOPIC_PARTITIONS: String(TEST_PARTITIONS),
        KAFKA_REPLICATION_FACTOR: '1',
      };
}

/**
 * What a service under test needs to use the run's shared broker and registry: their addresses,
 * a topic prefix and a consumer group of its own, and the mock cluster's quick-join settings
 * (valid on real Kafka too). For testConfig, and for tests that spawn the service themselves.
 */
export function sharedStackEnv(): Record<string, string> {
  const kafka = sharedKafkaStack();
  return {
    ...brokerSettings(),
    KAFKA_BROKERS: kafka.brokers,
    SCHEMA_REGISTRY_URL: kafka.registryUrl,
    KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
    SAGA_CONSUMER_GROUP: `saga-${randomBytes(4).toString('hex')}`,
    CONSUMER_SESSION_TIMEOUT_MS: String(MOCK_BROKER_CONSUMER_TUNING.sessionTimeout),
    CONSUMER_HEARTBEAT_INTERVAL_MS: String(MOCK_BROKER_CONSUMER_TUNING.heartbeatInterval),
  };
}

/**
 * Config for the service under test: shared broker and registry, fast retries, quiet logs. No
 * authentication and no rate limit, as tests not about them need neither; tests about them set
 * AUTH_MODE=jwt (see auth-tokens.ts) and RATE_LIMIT_PER_MINUTE.
 */
export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({
    ...sharedStackEnv(),
    PORT: '0',
    ADMIN_PORT: '0',
    NODE_ENV: 'test',
    AUTH_MODE: 'none',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    RATE_LIMIT_CANCELS_PER_MINUTE: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CONSUMER_RETRY_MIN_MS: '50',
    CONSUMER_RETRY_MAX_MS: '500',
    OUTBOX_RETRY_MIN_MS: '50',
    OUTBOX_RETRY_MAX_MS: '500',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...env,
  });
}

/**
 * startOrderService, resolving once the saga consumer has joined its group (and so the topics
 * exist): start-up itself no longer waits for Kafka, and most tests want a consuming service.
 */
export async function startJoinedOrderService(
  ...args: Parameters<typeof startOrderService>
): Promise<RunningService> {
  const service = await startOrderService(...args);
  try {
    await waitFor(() => service.consumerState() === 'running', {
      timeoutMs: 60_000,
      message: 'the saga consumer joining its group',
    });
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw error;
  }
  return service;
}

/** The real service on port 0 against a fresh database of its own. */
export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...env });
  const service = await startJoinedOrderService(config);
  const sql = new Client({ connectionString: database.url });
  await sql.connect();
  return {
    url: service.http.url,
    adminUrl: service.admin.url,
    config,
    databaseUrl: database.url,
    service,
    sql,
    async stop() {
      await sql.end();
      await service.stop();
      await database.drop();
    },
  };
}

export const jsonHeaders = { 'content-type': 'application/json' };

export function aValidOrder(overrides: Record<string, unknown> = {}) {
  return {
    customerId: 'customer-42',
    currency: 'EUR',
    items: [
      { productId: 'sku-1', productName: 'Espresso beans 1kg', quantity: 2, unitPrice: 1_899 },
      { productId: 'sku-2', productName: 'Milk jug', quantity: 1, unitPrice: 1_250 },
    ],
    ...overrides,
  };
}

export async function postOrder(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/orders`, {
    method: 'POST',
    headers: { ...jsonHeaders, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Test-side reader: the body as loosely typed JSON, for `toMatchObject`-style assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
