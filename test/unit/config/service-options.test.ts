import path from 'node:path';
import { loadConfig, serviceOptions } from '../../../src/config';
import { adminOptions } from '../../../src/config/admin';
import { DEFAULT_AVRO_BOUNDS } from '../../../src/messaging/avro-bounds';

/**
 * Every key set to a value of its own, different from its default and from every other key's,
 * so a part that reads the wrong key, or drops one, builds options this table does not hold.
 */
const EVERY_KEY = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  SHUTDOWN_TIMEOUT_MS: '11001',
  PORT: '3101',
  HTTP_HEADERS_TIMEOUT_MS: '10101',
  HTTP_REQUEST_TIMEOUT_MS: '30101',
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '5101',
  HTTP_MAX_CONCURRENT_REQUESTS: '251',
  TRUST_PROXY: '2',
  ADMIN_HOST: '10.1.2.3',
  ADMIN_PORT: '9101',
  METRICS_SAMPLE_INTERVAL_MS: '15101',
  AUTH_MODE: 'jwt',
  AUTH_JWT_SECRET: 'a-shared-secret-of-at-least-32-chars',
  AUTH_ISSUER: 'https://idp.example.com/',
  AUTH_AUDIENCE: 'orders',
  AUTH_TOKEN_TYPES: 'access',
  AUTH_ROLES_CLAIM: 'realm_access.roles',
  AUTH_MAX_TOKEN_AGE_SECONDS: '3601',
  AUTH_JWKS_CACHE_SECONDS: '602',
  AUTH_JWKS_GRACE_SECONDS: '3603',
  RATE_LIMIT_PER_MINUTE: '61',
  RATE_LIMIT_READS_PER_MINUTE: '611',
  RATE_LIMIT_CANCELS_PER_MINUTE: '62',
  DATABASE_URL: 'postgresql://orders@db.internal:5432/orders',
  DATABASE_POOL_SIZE: '11',
  DATABASE_WORKER_POOL_SIZE: '7',
  DATABASE_CONNECT_TIMEOUT_MS: '5201',
  DATABASE_STATEMENT_TIMEOUT_MS: '5301',
  KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9093',
  KAFKA_CLIENT_ID: 'orders-client',
  KAFKA_TOPIC_PREFIX: 'staging.',
  KAFKA_REQUEST_TIMEOUT_MS: '5401',
  KAFKA_IDEMPOTENT_PRODUCER: 'false',
  KAFKA_CREATE_TOPICS: 'true',
  KAFKA_TOPIC_PARTITIONS: '8',
  KAFKA_REPLICATION_FACTOR: '2',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'order-service',
  KAFKA_SASL_PASSWORD: 'kafka-password',
  SCHEMA_REGISTRY_URL: 'http://registry:8081',
  SCHEMA_REGISTRY_USERNAME: 'registry-user',
  SCHEMA_REGISTRY_PASSWORD: 'registry-password',
  SCHEMA_REGISTRY_TIMEOUT_MS: '10001',
  SCHEMA_COMPATIBILITY: 'BACKWARD',
  OUTBOX_BATCH_SIZE: '501',
  OUTBOX_BATCH_MAX_BYTES: '65537',
  OUTBOX_POLL_INTERVAL_MS: '1001',
  OUTBOX_NOTIFY_INTERVAL_MS: '6',
  OUTBOX_RETRY_MIN_MS: '201',
  OUTBOX_RETRY_MAX_MS: '30001',
  OUTBOX_RETENTION_HOURS: '73',
  OUTBOX_PRUNE_INTERVAL_MS: '600001',
  BREAKER_TIMEOUT_MS: '5001',
  BREAKER_ERROR_THRESHOLD_PERCENT: '51',
  BREAKER_VOLUME_THRESHOLD: '4',
  BREAKER_RESET_TIMEOUT_MS: '10002',
  BREAKER_ROLLING_WINDOW_MS: '30002',
  SAGA_CONSUMER_GROUP: 'orders-saga',
  SAGA_PARTITIONS_CONCURRENCY: '5',
  SAGA_BATCH_SIZE: '502',
  SAGA_PAYMENT_TIMEOUT_MS: '900001',
  SAGA_INVENTORY_TIMEOUT_MS: '300001',
  SAGA_SWEEP_INTERVAL_MS: '5002',
  SAGA_SWEEP_BATCH_SIZE: '202',
  CONSUMER_RETRY_MIN_MS: '251',
  CONSUMER_RETRY_MAX_MS: '30003',
  CONSUMER_MAX_UNKNOWN_ATTEMPTS: '6',
  CONSUMER_MAX_RECORD_BYTES: '1048577',
  CONSUMER_MAX_ITEMS: '10003',
  CONSUMER_MAX_STRING_BYTES: '65537',
  CONSUMER_MAX_NODES: '200001',
  CONSUMER_MAX_SCHEMA_EXPANSION: '1001',
  CONSUMER_SESSION_TIMEOUT_MS: '30004',
  CONSUMER_HEARTBEAT_INTERVAL_MS: '3001',
  CONSOLE_DATABASE_POOL_SIZE: '4',
  CONSOLE_STUCK_AFTER_SECONDS: '3605',
  CONSOLE_BULK_ACTION_LIMIT: '501',
  CONSOLE_MAX_CONCURRENT_REQUESTS: '3',
  CONSOLE_SUMMARY_MAX_AGE_SECONDS: '7',
  CONSOLE_TRACE_URL_TEMPLATE: 'https://traces.example/trace/{traceId}',
};

describe("each part's options, built from its own keys", () => {
  test('when every key differs from its default and from the others, then each option carries the value of its own key', () => {
    const retries = { retryMinMs: 251, retryMaxMs: 30_003 };
    expect(serviceOptions(loadConfig(EVERY_KEY))).toEqual({
      process: { logLevel: 'warn', shutdownTimeoutMs: 11_001 },
      http: {
        port: 3101,
        timeouts: { headersTimeoutMs: 10_101, requestTimeoutMs: 30_101, keepAliveTimeoutMs: 5101 },
        trustProxy: 2,
        maxConcurrentRequests: 251,
      },
      admin: { host: '10.1.2.3', port: 9101, metricsSampleIntervalMs: 15_101 },
      auth: {
        authentication: {
          mode: 'jwt',
          secret: 'a-shared-secret-of-at-least-32-chars',
          jwksUrl: undefined,
          issuer: 'https://idp.example.com/',
          audience: 'orders',
          tokenTypes: 'access',
          rolesClaim: 'realm_access.roles',
          maxTokenAgeSeconds: 3601,
          jwksCacheSeconds: 602,
          jwksGraceSeconds: 3603,
        },
        rateLimitsPerMinute: { create: 61, read: 611, cancel: 62 },
      },
      postgres: {
        connection: {
          url: 'postgresql://orders@db.internal:5432/orders',
          connectTimeoutMs: 5201,
          statementTimeoutMs: 5301,
        },
        apiPoolSize: 11,
        workerPoolSize: 7,
      },
      kafka: {
        client: {
          clientId: 'orders-client',
          brokers: ['kafka-1:9092', 'kafka-2:9093'],
          requestTimeoutMs: 5401,
          security: {
            sasl: {
              mechanism: 'scram-sha-512',
              username: 'order-service',
              password: 'kafka-password',
            },
          },
        },
        idempotentProducer: false,
        topicPrefix: 'staging.',
        topics: { create: true, topicPrefix: 'staging.', partitions: 8, replicationFactor: 2 },
      },
      messaging: {
        kafka: expect.objectContaining({ clientId: 'orders-client', requestTimeoutMs: 5401 }),
        registry: {
          url: 'http://registry:8081',
          username: 'registry-user',
          password: 'registry-password',
          caFile: undefined,
          certFile: undefined,
          keyFile: undefined,
          timeoutMs: 10_001,
        },
        compatibility: 'BACKWARD',
        breaker: {
          timeoutMs: 5001,
          errorThresholdPercentage: 51,
          volumeThreshold: 4,
          resetTimeoutMs: 10_002,
          rollingCountTimeoutMs: 30_002,
        },
        idempotentProducer: false,
        topicPrefix: 'staging.',
      },
      outbox: {
        notifyIntervalMs: 6,
        relay: {
          batchSize: 501,
          batchMaxBytes: 65537,
          pollIntervalMs: 1001,
          retryMinMs: 201,
          retryMaxMs: 30_001,
          retentionHours: 73,
          pruneIntervalMs: 600_001,
        },
      },
      saga: {
        consumerGroup: 'orders-saga',
        stepTimeouts: { payment: 900_001, inventory: 300_001 },
        recordLimits: {
          maxRecordBytes: 1_048_577,
          maxItems: 10_003,
          maxStringBytes: 65_537,
          maxNodes: 200_001,
          maxDepth: DEFAULT_AVRO_BOUNDS.maxDepth,
        },
        maxSchemaExpansion: 1001,
        processor: {
          groupId: 'orders-saga',
          maxUnknownAttempts: 6,
          maxBatchSize: 502,
          ...retries,
        },
        consumer: {
          groupId: 'orders-saga',
          partitionsConcurrency: 5,
          sessionTimeoutMs: 30_004,
          heartbeatIntervalMs: 3001,
          ...retries,
        },
        // The sweeper retries a failed run at its own pace, never slower than the consumer.
        sweeper: { intervalMs: 5002, batchSize: 202, retryMinMs: 5002, retryMaxMs: 30_003 },
      },
      console: {
        databasePoolSize: 4,
        settings: {
          stuckAfterSeconds: 3605,
          bulkActionLimit: 501,
          maxConcurrentRequests: 3,
          summaryMaxAgeSeconds: 7,
          traceUrlTemplate: 'https://traces.example/trace/{traceId}',
        },
      },
    });
  });

  test('when TLS is on, then the Kafka client is given each certificate file as its key names it', () => {
    // Three readable files, each standing for one key.
    const [ca, cert, key] = ['package.json', 'tsconfig.json', 'jest.config.ts'].map((file) =>
      path.join(__dirname, '../../..', file),
    );
    const { kafka } = serviceOptions(
      loadConfig({
        ...EVERY_KEY,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SSL_CERT_FILE: cert,
        KAFKA_SSL_KEY_FILE: key,
      }),
    );
    expect(kafka.client.security.tls).toEqual({ caFile: ca, certFile: cert, keyFile: key });
  });
});

describe('the admin port listens', () => {
  const admin = (ADMIN_HOST: string | undefined, NODE_ENV?: 'production' | 'development') =>
    adminOptions({ ADMIN_HOST, ADMIN_PORT: 9464, METRICS_SAMPLE_INTERVAL_MS: 15_000, NODE_ENV })
      .host;

  test('when ADMIN_HOST is unset, then on loopback only, outside production', () => {
    expect(admin(undefined)).toBe('127.0.0.1');
    expect(admin(undefined, 'development')).toBe('127.0.0.1');
  });

  test('when ADMIN_HOST is unset in production, then on every interface, as a container is scraped from outside', () => {
    expect(admin(undefined, 'production')).toBe('0.0.0.0');
  });

  test('when ADMIN_HOST is set, then there, whatever NODE_ENV says', () => {
    expect(admin('10.0.0.5', 'production')).toBe('10.0.0.5');
  });
});
