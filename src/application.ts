import { secretsOf, type Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { createMetrics, type Metrics } from './shared/metrics';
import { serviceVersion } from './shared/service-version';
import { startupSummary } from './config-summary';
import { createDatabase } from './data-access/prisma-client-factory';
import { createOrderRepository } from './data-access/order-repository';
import { createSagaRepository } from './data-access/saga-repository';
import { createRateLimitRepository } from './data-access/rate-limit-repository';
import { createDeadLetterIndexRepository } from './data-access/dead-letter-index-repository';
import { withGroup } from './domain/dead-letter-index';
import { startWebServer, type WebServer } from './entry-points/http/server';
import { startAdminServer } from './entry-points/http/admin-server';
import { createTokenReader, type AuthenticationSettings } from './entry-points/http/authentication';
import { createConsoleRouter } from './entry-points/console/console-router';
import { createDeadLetterReconciler } from './entry-points/console/dead-letter-reconciler';
import { consumerLagByTopic } from './observability/consumer-lag-summary';
import type { HttpTimeouts } from './entry-points/http/http-listener';
import { createReadiness, type ReadinessCheck } from './entry-points/http/readiness';
import { createRedactor } from './shared/redaction';
import { createSagaConsumer, type SagaConsumerState } from './entry-points/kafka/saga-consumer';
import { createSagaRecordProcessor } from './entry-points/kafka/saga-record-processor';
import { handleReplies } from './domain/handle-replies-use-case';
import type { StepTimeouts } from './domain/saga-transitions';
import { createInboundRecordDecoder } from './messaging/inbound-record-decoder';
import { DEFAULT_AVRO_BOUNDS } from './messaging/avro-bounds';
import { createWriterSchemas } from './messaging/writer-schemas';
import { createDeadLetterPublisher } from './messaging/dead-letter-publisher';
import { errorMessage } from './shared/app-error';
import { createMessaging } from './messaging/messaging-factory';
import { asyncApiDocument } from './messaging/asyncapi-document';
import { SchemaIncompatibleError } from './messaging/schema-registration';
import { createTopicGate } from './messaging/topic-gate';
import { createOutboxRelay } from './workers/outbox-relay';
import { createOutboxSignal, type OutboxSignal } from './workers/outbox-signal';
import { createDeadlineSweeper, type DeadlineSweeper } from './workers/deadline-sweeper';
import { countingOrderStore, countingSagaStore } from './observability/saga-metrics';
import { observeOutboxPublished, startServiceMetrics } from './observability/service-metrics';
import {
  describeShutdownProblems,
  runShutdown,
  type ShutdownPhase,
  type ShutdownStep,
} from './shared/shutdown';

export class ShutdownIncompleteError extends Error {
  override name = 'ShutdownIncompleteError';
}

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
  /** `joining` until the consumer first joins its group (intake does not wait for it). */
  consumerState(): SagaConsumerState;
  /** Resolves with an error the service cannot run past (a produced schema refused); never else. */
  fatal: Promise<Error>;
  /**
   * Stops without losing work, under one deadline (SHUTDOWN_TIMEOUT_MS): `/ready` turns 503
   * at once; HTTP drains while the consumer finishes its batch and commits and the relay
   * flushes its batch in flight; then the sweeper; then the producer and the pools; last the
   * admin port. A failed step does not stop the rest; any failure, or the deadline, rejects
   * with a ShutdownIncompleteError naming what failed or was still running. `finally` runs
   * after all that, under the same deadline (start.ts: flushing the traces).
   */
  stop(finally_?: ShutdownStep[]): Promise<void>;
}

/** Wires every part of the service from one config; `start.ts` and the tests both use it. */
export async function startOrderService(
  config: Config,
  logger = createLogger(config.LOG_LEVEL, {}, { secrets: secretsOf(config) }),
): Promise<RunningService> {
  logger.info('order service starting', startupSummary(config));
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
  // The console's own small pool: however hard operators use it, the API keeps its connections.
  const consoleDb = database(config.CONSOLE_DATABASE_POOL_SIZE, 'order-service-console');
  const disconnectDatabases = () =>
    Promise.allSettled([httpDb.$disconnect(), workerDb.$disconnect(), consoleDb.$disconnect()]);
  const messaging = createMessaging(config, logger);
  // A schema the registry refuses is a release mistake, and credentials or topic settings Kafka
  // refuses for good a configuration one: the service stops itself (start.ts exits non-zero). Registration runs in the background, as an unreachable registry must not
  // hold up intake: the relay registers once the registry answers.
  let reportFatal: (error: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (reportFatal = resolve));
  void messaging.registerProducedSchemas().catch((error: unknown) => {
    if (error instanceof SchemaIncompatibleError) {
      logger.error('produced schema refused by the registry; stopping', { error: error.message });
      reportFatal(error);
      return;
    }
    logger.warn('schema registry unreachable at start-up; publishing waits for it', {
      error: errorMessage(error),
    });
  });
  // Asked to own its topics, the service publishes and consumes only once they exist (the
  // relay's first send could otherwise auto-create one with the broker's defaults). Before every
  // join (not only the first: a broker that lost its disk comes back without them) the consumer
  // creates them, or checks they exist and names the missing ones. Intake waits for neither.
  const topics = createTopicGate(messaging.kafka, config, logger);
  let onTopicsExist = () => undefined as void;
  const topicsProvisioned = new Promise<void>((resolve) => (onTopicsExist = resolve));
  const beforeJoin = async (signal: AbortSignal) => {
    await topics.beforeJoin(signal);
    onTopicsExist();
  };
  if (!config.KAFKA_CREATE_TOPICS) onTopicsExist();

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
  const deadLetterIndex = createDeadLetterIndexRepository(workerDb);

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
  const decoder = createInboundRecordDecoder(
    createWriterSchemas(messaging.registryClient, {
      maxExpansion: config.CONSUMER_MAX_SCHEMA_EXPANSION,
    }),
    {
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      maxRecordBytes: config.CONSUMER_MAX_RECORD_BYTES,
      maxItems: config.CONSUMER_MAX_ITEMS,
      maxStringBytes: config.CONSUMER_MAX_STRING_BYTES,
      maxNodes: config.CONSUMER_MAX_NODES,
      maxDepth: DEFAULT_AVRO_BOUNDS.maxDepth,
    },
  );
  const retries = {
    retryMinMs: config.CONSUMER_RETRY_MIN_MS,
    retryMaxMs: config.CONSUMER_RETRY_MAX_MS,
  };
  const processor = createSagaRecordProcessor(
    {
      decoder,
      handleReplies: (replies) => handleReplies({ saga, timeouts: stepTimeouts }, replies),
      deadLetters: createDeadLetterPublisher(messaging.deadLetterProducer, {
        serviceVersion: serviceVersion(),
        metrics,
        logger: logger.child({ namespace: 'DeadLetters' }),
        // The console's index, on the saga's pool: the consumer is the one writing.
        onWritten: async (entry) => {
          await deadLetterIndex.add([withGroup(entry)], 'writer');
        },
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
    {
      kafka: messaging.kafka,
      processor,
      logger: consumerLogger,
      beforeJoin,
      onRefused: reportFatal,
    },
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

  // Intake and the sweeper start now; the relay once the topics exist, the consumer joins its
  // group in the background (with its backoff): nothing here waits for a broker.
  let stopping = false;
  sweeper.start();
  const sampler = startServiceMetrics({
    config,
    metrics,
    db: httpDb,
    messaging,
    consumer,
    relay,
    logger,
  });
  void topicsProvisioned.then(() => stopping || relay.start());
  void consumer.start();

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
    kafkaTopics: topics.status(),
    outboxRelaySlots: relay.slots(),
    sagaConsumer: consumer.state(),
  }));
  const httpTimeouts: HttpTimeouts = {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  };
  // Each phase starts once the one before has settled; see RunningService.stop.
  const workerPhases = (httpStep: ShutdownPhase): ShutdownPhase[] => [
    [
      ...httpStep,
      { name: 'saga consumer', run: () => consumer.stop() },
      { name: 'outbox relay', run: () => relay.stop() },
    ],
    [
      { name: 'deadline sweeper', run: () => sweeper.stop() },
      { name: 'metrics sampler', run: () => sampler.stop() },
      // A reconciliation in flight holds a Kafka consumer; it ends before the pools close.
      {
        name: 'console reconciler',
        run: () => startupReconcile.catch(() => undefined).then(() => reconciler.settled()),
      },
    ],
    [
      { name: 'kafka producer', run: () => messaging.producer.disconnect() },
      { name: 'dead-letter producer', run: () => messaging.deadLetterProducer.disconnect() },
      { name: 'database pools', run: disconnectDatabases },
    ],
  ];
  const stopAll = async (httpStep: ShutdownPhase, ...last: ShutdownPhase[]) => {
    stopping = true;
    readiness.markStopping();
    const deadlineMs = config.SHUTDOWN_TIMEOUT_MS;
    const outcome = await runShutdown([...workerPhases(httpStep), ...last], deadlineMs);
    const problems = describeShutdownProblems(outcome, deadlineMs);
    if (problems) throw new ShutdownIncompleteError(`shutdown incomplete: ${problems}`);
  };
  const authentication: AuthenticationSettings = {
    mode: config.AUTH_MODE,
    secret: config.AUTH_JWT_SECRET,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    tokenTypes: config.AUTH_TOKEN_TYPES,
    rolesClaim: config.AUTH_ROLES_CLAIM,
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
    jwksCacheSeconds: config.AUTH_JWKS_CACHE_SECONDS,
    jwksGraceSeconds: config.AUTH_JWKS_GRACE_SECONDS,
  };
  // The console indexes what its index misses once the topics exist (and on demand).
  const reconciler = createDeadLetterReconciler({
    kafka: messaging.kafka,
    index: createDeadLetterIndexRepository(consoleDb),
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    logger: logger.child({ namespace: 'Console' }),
  });
  const startupReconcile = topicsProvisioned.then(() =>
    stopping ? undefined : reconciler.run().then(() => undefined),
  );
  startupReconcile.catch(() => undefined);
  const consoleRouter = createConsoleRouter({
    readToken: authentication.mode === 'jwt' ? createTokenReader(authentication) : undefined,
    db: consoleDb,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    decoder,
    replayProducer: messaging.deadLetterProducer,
    reconciler,
    liveState: async () => ({
      producerBreaker: messaging.producer.state(),
      deadLetterBreaker: messaging.deadLetterProducer.state(),
      relaySlots: relay.slots(),
      consumer: consumer.state(),
      consumerLag: await consumerLagByTopic(metrics.registry),
    }),
    settings: {
      stuckAfterSeconds: config.CONSOLE_STUCK_AFTER_SECONDS,
      bulkActionLimit: config.CONSOLE_BULK_ACTION_LIMIT,
      traceUrlTemplate: config.CONSOLE_TRACE_URL_TEMPLATE,
    },
    logger: logger.child({ namespace: 'Console' }),
  });
  let admin: WebServer | undefined;
  let http: WebServer;
  try {
    admin = await startAdminServer(
      {
        readiness,
        metricsRegistry: metrics.registry,
        redact: createRedactor(secretsOf(config)),
        logger: logger.child({ namespace: 'Admin' }),
        asyncApiDocument: asyncApiDocument({
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          consumerGroup: config.SAGA_CONSUMER_GROUP,
          clientId: config.KAFKA_CLIENT_ID,
          version: serviceVersion(),
        }),
        consoleRouter,
      },
      config.ADMIN_PORT,
      httpTimeouts,
      // Loopback unless told, but a container in production is scraped from outside.
      config.ADMIN_HOST ?? (config.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    );
    http = await startWebServer(
      {
        orders,
        saga: apiSaga,
        stepTimeouts,
        readiness,
        authentication,
        rateLimits: {
          perMinute: {
            create: config.RATE_LIMIT_PER_MINUTE,
            read: config.RATE_LIMIT_READS_PER_MINUTE,
            cancel: config.RATE_LIMIT_CANCELS_PER_MINUTE,
          },
          counter: createRateLimitRepository(httpDb, logger.child({ namespace: 'RateLimit' })),
        },
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
    await stopAll([]).catch(() => undefined);
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
    consumerState: () => consumer.state(),
    fatal,
    stop: (finally_ = []) =>
      stopAll(
        [{ name: 'HTTP server', run: () => http.stop(config.SHUTDOWN_TIMEOUT_MS) }],
        // Last: metrics and readiness stay readable while the rest winds down.
        [{ name: 'admin server', run: () => adminServer.stop(0) }],
        finally_,
      ),
  };
}
