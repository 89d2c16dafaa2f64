import { secretsOf, type Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { createMetrics, type Metrics } from './shared/metrics';
import { serviceVersion } from './shared/service-version';
import { createDatabase } from './data-access/prisma-client-factory';
import { createOrderRepository } from './data-access/order-repository';
import { createSagaRepository } from './data-access/saga-repository';
import { startWebServer, type WebServer } from './entry-points/http/server';
import { startAdminServer } from './entry-points/http/admin-server';
import type { HttpTimeouts } from './entry-points/http/http-listener';
import { createReadiness, type ReadinessCheck } from './entry-points/http/readiness';
import { createRedactor } from './shared/redaction';
import { createSagaConsumer } from './entry-points/kafka/saga-consumer';
import { createSagaRecordProcessor } from './entry-points/kafka/saga-record-processor';
import { handleReplies } from './domain/handle-replies-use-case';
import type { StepTimeouts } from './domain/saga-transitions';
import { createInboundRecordDecoder } from './messaging/inbound-record-decoder';
import { DEFAULT_AVRO_BOUNDS } from './messaging/avro-bounds';
import { createDeadLetterPublisher } from './messaging/dead-letter-publisher';
import { errorMessage } from './shared/app-error';
import { createMessaging } from './messaging/messaging-factory';
import { SchemaIncompatibleError } from './messaging/schema-registration';
import { provisionTopics } from './messaging/topic-provisioning';
import { createOutboxRelay } from './workers/outbox-relay';
import { createOutboxSignal, type OutboxSignal } from './workers/outbox-signal';
import { createDeadlineSweeper, type DeadlineSweeper } from './workers/deadline-sweeper';
import { countingOrderStore, countingSagaStore } from './observability/saga-metrics';
import { observeOutboxPublished, startServiceMetrics } from './observability/service-metrics';

export interface RunningService {
  /** The public API (PORT). */
  http: WebServer;
  /** Metrics and the detailed readiness report (ADMIN_PORT). */
  admin: WebServer;
  logger: Logger;
  metrics: Metrics;
  sweeper: DeadlineSweeper;
  /** What the stores call after each commit that wrote outbox rows (outbox-signal.ts). */
  outboxSignal: OutboxSignal;
  /**
   * Stops in an order that loses no work: intake first, then the consumer (its offsets are
   * committed only after each record's transaction), the sweeper, the relay (it finishes the
   * batch in flight), and finally the connections.
   */
  stop(): Promise<void>;
}

/** Wires every part of the service from one config; `start.ts` and the tests both use it. */
export async function startOrderService(
  config: Config,
  logger = createLogger(config.LOG_LEVEL, {}, { secrets: secretsOf(config) }),
): Promise<RunningService> {
  const metrics = createMetrics();
  // Two pools: the API's, and the saga's (consumer, relay, sweeper). However many requests
  // wait for a connection, the saga still gets its own and keeps its deadlines.
  const database = (poolSize: number, applicationName: string) =>
    createDatabase({
      url: config.DATABASE_URL,
      poolSize,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      applicationName,
      logger: logger.child({ namespace: 'Database', pool: applicationName }),
    });
  const httpDb = database(config.DATABASE_POOL_SIZE, 'order-service-http');
  const workerDb = database(config.DATABASE_WORKER_POOL_SIZE, 'order-service-saga');
  const disconnectDatabases = () =>
    Promise.allSettled([httpDb.$disconnect(), workerDb.$disconnect()]);
  const messaging = createMessaging(config, logger);
  try {
    // Asked to own its topics, the service cannot run without them.
    if (config.KAFKA_CREATE_TOPICS) await provisionTopics(messaging.kafka, config, logger);
  } catch (error) {
    await Promise.allSettled([messaging.producer.disconnect(), disconnectDatabases()]);
    throw error;
  }
  try {
    await messaging.registerProducedSchemas();
  } catch (error) {
    // An incompatible schema is a release mistake: refuse to run. An unreachable registry is
    // not: intake works and the relay registers the schemas once the registry answers.
    if (error instanceof SchemaIncompatibleError) {
      await Promise.allSettled([messaging.producer.disconnect(), disconnectDatabases()]);
      throw error;
    }
    logger.warn('schema registry unreachable at start-up; publishing waits for it', {
      error: errorMessage(error),
    });
  }

  const stepTimeouts: StepTimeouts = {
    payment: config.SAGA_PAYMENT_TIMEOUT_MS,
    inventory: config.SAGA_INVENTORY_TIMEOUT_MS,
  };
  // Every store wakes the relay after each commit that wrote outbox rows.
  const outboxSignal = createOutboxSignal({ notifyIntervalMs: config.OUTBOX_NOTIFY_INTERVAL_MS });
  const wakesRelay = { onOutboxWritten: outboxSignal.outboxWritten };
  const orders = countingOrderStore(createOrderRepository(httpDb, wakesRelay), metrics);
  // The same store on either pool: the API's cancellations, and the consumer's and sweeper's work.
  const apiSaga = countingSagaStore(createSagaRepository(httpDb, wakesRelay), metrics);
  const saga = countingSagaStore(createSagaRepository(workerDb, wakesRelay), metrics);

  const relay = createOutboxRelay(
    {
      producer: messaging.producer,
      encoder: messaging.encoder,
      signal: outboxSignal,
      logger: logger.child({ namespace: 'OutboxRelay' }),
      onPublished: observeOutboxPublished(metrics),
    },
    {
      database: {
        url: config.DATABASE_URL,
        connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      },
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      batchSize: config.OUTBOX_BATCH_SIZE,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      retryMinMs: config.OUTBOX_RETRY_MIN_MS,
      retryMaxMs: config.OUTBOX_RETRY_MAX_MS,
      retentionHours: config.OUTBOX_RETENTION_HOURS,
      pruneIntervalMs: config.OUTBOX_PRUNE_INTERVAL_MS,
    },
  );
  const consumerLogger = logger.child({ namespace: 'SagaConsumer' });
  const retries = {
    retryMinMs: config.CONSUMER_RETRY_MIN_MS,
    retryMaxMs: config.CONSUMER_RETRY_MAX_MS,
  };
  const processor = createSagaRecordProcessor(
    {
      decoder: createInboundRecordDecoder(messaging.registry, {
        maxRecordBytes: config.CONSUMER_MAX_RECORD_BYTES,
        maxItems: config.CONSUMER_MAX_ITEMS,
        maxStringBytes: config.CONSUMER_MAX_STRING_BYTES,
        maxDepth: DEFAULT_AVRO_BOUNDS.maxDepth,
      }),
      handleReplies: (replies) => handleReplies({ saga, timeouts: stepTimeouts }, replies),
      deadLetters: createDeadLetterPublisher(messaging.producer, {
        serviceVersion: serviceVersion(),
        metrics,
        logger: logger.child({ namespace: 'DeadLetters' }),
      }),
      metrics,
      logger: consumerLogger,
    },
    {
      groupId: config.SAGA_CONSUMER_GROUP,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      maxUnknownAttempts: config.CONSUMER_MAX_UNKNOWN_ATTEMPTS,
      maxBatchSize: config.SAGA_BATCH_SIZE,
      ...retries,
    },
  );
  const consumer = createSagaConsumer(
    { kafka: messaging.kafka, processor, logger: consumerLogger },
    {
      groupId: config.SAGA_CONSUMER_GROUP,
      partitionsConcurrency: config.SAGA_PARTITIONS_CONCURRENCY,
      sessionTimeoutMs: config.CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: config.CONSUMER_HEARTBEAT_INTERVAL_MS,
      ...retries,
    },
  );
  const sweeper = createDeadlineSweeper(
    {
      saga,
      timeouts: stepTimeouts,
      metrics,
      logger: logger.child({ namespace: 'DeadlineSweeper' }),
    },
    {
      intervalMs: config.SAGA_SWEEP_INTERVAL_MS,
      batchSize: config.SAGA_SWEEP_BATCH_SIZE,
      retryMinMs: config.SAGA_SWEEP_INTERVAL_MS,
      retryMaxMs: Math.max(config.SAGA_SWEEP_INTERVAL_MS, config.CONSUMER_RETRY_MAX_MS),
    },
  );

  relay.start();
  await consumer.start();
  sweeper.start();
  const sampler = startServiceMetrics({ config, metrics, db: httpDb, messaging, consumer, logger });

  // The API's own pool: readiness says whether this instance can serve requests.
  const databaseCheck: ReadinessCheck = {
    name: 'database',
    check: async () => {
      await httpDb.$queryRaw`SELECT 1`;
      return { ok: true };
    },
  };
  const readiness = createReadiness([databaseCheck], () => ({
    kafkaProducerBreaker: messaging.producer.state(),
    outboxRelayLeader: relay.isLeader(),
    sagaConsumer: consumer.state(),
  }));
  const httpTimeouts: HttpTimeouts = {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  };
  const stopWorkers = async () => {
    await consumer.stop();
    await sweeper.stop();
    await relay.stop();
    await sampler.stop();
    await messaging.producer.disconnect();
    await disconnectDatabases();
  };
  let admin: WebServer | undefined;
  let http: WebServer;
  try {
    admin = await startAdminServer(
      {
        readiness,
        metricsRegistry: metrics.registry,
        redact: createRedactor(secretsOf(config)),
        logger: logger.child({ namespace: 'Admin' }),
      },
      config.ADMIN_PORT,
      httpTimeouts,
    );
    http = await startWebServer(
      {
        orders,
        saga: apiSaga,
        stepTimeouts,
        readiness,
        authentication: {
          mode: config.AUTH_MODE,
          secret: config.AUTH_JWT_SECRET,
          jwksUrl: config.AUTH_JWKS_URL,
          issuer: config.AUTH_ISSUER,
          audience: config.AUTH_AUDIENCE,
        },
        rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
        logger: logger.child({ namespace: 'HTTP' }),
        metrics,
        trustProxy: config.TRUST_PROXY,
      },
      config.PORT,
      httpTimeouts,
    );
  } catch (error) {
    // A port already taken, say: nothing may keep running behind a failed start.
    await admin?.stop(0);
    await stopWorkers();
    throw error;
  }
  const adminServer = admin;

  return {
    http,
    admin: adminServer,
    logger,
    metrics,
    sweeper,
    outboxSignal,
    async stop() {
      await http.stop(config.SHUTDOWN_TIMEOUT_MS);
      await stopWorkers();
      // Last: metrics and readiness stay readable while the rest winds down.
      await adminServer.stop(0);
    },
  };
}
