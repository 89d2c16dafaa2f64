import { secretsOf, serviceOptions, startupSummary, type Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { createMetrics, type Metrics } from './shared/metrics';
import { serviceVersion } from './shared/service-version';
import { createDatabase } from './data-access/prisma-client-factory';
import { createOrderRepository } from './data-access/order-repository';
import { createSagaRepository } from './data-access/saga-repository';
import { createRateLimitRepository } from './data-access/rate-limit-repository';
import { startWebServer, type WebServer } from './entry-points/http/server';
import { startAdminServer } from './entry-points/http/admin-server';
import { createReadiness, type ReadinessCheck } from './entry-points/http/readiness';
import { createRedactor } from './shared/redaction';
import { createSagaConsumer, type SagaConsumerState } from './entry-points/kafka/saga-consumer';
import { createSagaRecordProcessor } from './entry-points/kafka/saga-record-processor';
import { handleReplies } from './domain/handle-replies-use-case';
import { createInboundRecordDecoder } from './messaging/inbound-record-decoder';
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
import { consumerLagByTopic } from './observability/consumer-lag-summary';
import { createOperatorConsole, deadLetterIndexWriter } from './operator-console';
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

/**
 * Wires every part of the service from one config; `start.ts` and the tests both use it. Each
 * part's options come from the part of src/config/ that owns its keys: nothing here reads a key.
 * Parts start in this order: the database pools, messaging, the stores, the workers (sweeper,
 * metrics sampler, relay once the topics exist, consumer), the operator console, the admin port
 * (which serves it), the public API. They
 * stop in reverse (see RunningService.stop), but for the admin port, which stops last.
 */
export async function startOrderService(
  config: Config,
  logger = createLogger(
    serviceOptions(config).process.logLevel,
    {},
    { secrets: secretsOf(config) },
  ),
): Promise<RunningService> {
  logger.info('order service starting', startupSummary(config));
  const options = serviceOptions(config);
  const { postgres, kafka, saga: sagaOptions } = options;
  const metrics = createMetrics();

  // Two pools: the API's, and the saga's (consumer, relay, sweeper). However many requests
  // wait for a connection, the saga still gets its own and keeps its deadlines.
  const database = (poolSize: number, applicationName: string) =>
    createDatabase({
      ...postgres.connection,
      poolSize,
      applicationName,
      logger: logger.child({ namespace: 'Database', pool: applicationName }),
    });
  const httpDb = database(postgres.apiPoolSize, 'order-service-http');
  const workerDb = database(postgres.workerPoolSize, 'order-service-saga');
  // The console's own small pool: however hard operators use it, the API keeps its connections.
  const consoleDb = database(options.console.databasePoolSize, 'order-service-console');
  const disconnectDatabases = () =>
    Promise.allSettled([httpDb.$disconnect(), workerDb.$disconnect(), consoleDb.$disconnect()]);

  const messaging = createMessaging(options.messaging, logger);
  // A schema the registry refuses is a release mistake, and credentials or topic settings Kafka
  // refuses for good a configuration one: the service stops itself (start.ts exits non-zero).
  // Registration runs in the background, as an unreachable registry must not hold up intake:
  // the relay registers once the registry answers.
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
  const topics = createTopicGate(messaging.kafka, kafka.topics, logger);
  let onTopicsExist = () => undefined as void;
  const topicsProvisioned = new Promise<void>((resolve) => (onTopicsExist = resolve));
  const beforeJoin = async (signal: AbortSignal) => {
    await topics.beforeJoin(signal);
    onTopicsExist();
  };
  if (!kafka.topics.create) onTopicsExist();

  const { stepTimeouts } = sagaOptions;
  // Every store wakes the relay after each commit that wrote outbox rows.
  const outboxSignal = createOutboxSignal({ notifyIntervalMs: options.outbox.notifyIntervalMs });
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
    { database: postgres.connection, topicPrefix: kafka.topicPrefix, ...options.outbox.relay },
  );
  const consumerLogger = logger.child({ namespace: 'SagaConsumer' });
  const writerSchemas = createWriterSchemas(messaging.registryClient, {
    maxExpansion: sagaOptions.maxSchemaExpansion,
  });
  const decoder = createInboundRecordDecoder(writerSchemas, {
    topicPrefix: kafka.topicPrefix,
    ...sagaOptions.recordLimits,
  });
  const processor = createSagaRecordProcessor(
    {
      decoder,
      handleReplies: (replies) => handleReplies({ saga, timeouts: stepTimeouts }, replies),
      deadLetters: createDeadLetterPublisher(messaging.deadLetterProducer, {
        serviceVersion: serviceVersion(),
        metrics,
        logger: logger.child({ namespace: 'DeadLetters' }),
        // The console's index, on the saga's pool: the consumer is the one writing.
        onWritten: deadLetterIndexWriter(workerDb),
      }),
      metrics,
      logger: consumerLogger,
    },
    { topicPrefix: kafka.topicPrefix, ...sagaOptions.processor },
  );
  const consumer = createSagaConsumer(
    {
      kafka: messaging.kafka,
      processor,
      logger: consumerLogger,
      beforeJoin,
      onRefused: reportFatal,
    },
    // Half the shutdown's deadline for a join in flight, leaving the rest for what follows.
    { ...sagaOptions.consumer, joinWaitOnStopMs: options.process.shutdownTimeoutMs / 2 },
  );
  const sweeper = createDeadlineSweeper(
    {
      saga,
      timeouts: stepTimeouts,
      metrics,
      logger: logger.child({ namespace: 'DeadlineSweeper' }),
    },
    sagaOptions.sweeper,
  );

  // Intake and the sweeper start now; the relay once the topics exist, the consumer joins its
  // group in the background (with its backoff): nothing here waits for a broker.
  let stopping = false;
  sweeper.start();
  const sampler = startServiceMetrics({
    settings: {
      topicPrefix: kafka.topicPrefix,
      consumerGroup: sagaOptions.consumerGroup,
      sampleIntervalMs: options.admin.metricsSampleIntervalMs,
    },
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
  const operatorConsole = createOperatorConsole({
    db: consoleDb,
    // An operator's cancel from the console: on the console's pool, waking the relay.
    saga: countingSagaStore(createSagaRepository(consoleDb, wakesRelay), metrics),
    stepTimeouts,
    settings: options.console.settings,
    authentication: options.auth.authentication,
    messaging,
    topicPrefix: kafka.topicPrefix,
    decoder,
    topicsProvisioned,
    stopping: () => stopping,
    liveState: async () => ({
      producerBreaker: messaging.producer.state(),
      deadLetterBreaker: messaging.deadLetterProducer.state(),
      relaySlots: relay.slots(),
      consumer: consumer.state(),
      consumerLag: await consumerLagByTopic(metrics.registry),
    }),
    logger: logger.child({ namespace: 'Console' }),
  });
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
      operatorConsole.stopStep,
    ],
    [
      { name: 'kafka producer', run: () => messaging.producer.disconnect() },
      { name: 'dead-letter producer', run: () => messaging.deadLetterProducer.disconnect() },
      { name: 'database pools', run: disconnectDatabases },
    ],
  ];
  const { shutdownTimeoutMs } = options.process;
  const stopAll = async (httpStep: ShutdownPhase, ...last: ShutdownPhase[]) => {
    stopping = true;
    readiness.markStopping();
    const outcome = await runShutdown([...workerPhases(httpStep), ...last], shutdownTimeoutMs);
    const problems = describeShutdownProblems(outcome, shutdownTimeoutMs);
    if (problems) throw new ShutdownIncompleteError(`shutdown incomplete: ${problems}`);
  };
  const { http: httpOptions } = options;
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
          topicPrefix: kafka.topicPrefix,
          consumerGroup: sagaOptions.consumerGroup,
          clientId: kafka.client.clientId,
          version: serviceVersion(),
        }),
        consoleRouter: operatorConsole.router,
      },
      options.admin.port,
      httpOptions.timeouts,
      options.admin.host,
    );
    http = await startWebServer(
      {
        orders,
        saga: apiSaga,
        stepTimeouts,
        readiness,
        authentication: options.auth.authentication,
        rateLimits: {
          perMinute: options.auth.rateLimitsPerMinute,
          counter: createRateLimitRepository(httpDb, logger.child({ namespace: 'RateLimit' })),
        },
        logger: logger.child({ namespace: 'HTTP' }),
        metrics,
        trustProxy: httpOptions.trustProxy,
        maxConcurrentRequests: httpOptions.maxConcurrentRequests,
      },
      httpOptions.port,
      httpOptions.timeouts,
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
        [{ name: 'HTTP server', run: () => http.stop(shutdownTimeoutMs) }],
        // Last: metrics and readiness stay readable while the rest winds down.
        [{ name: 'admin server', run: () => adminServer.stop(0) }],
        finally_,
      ),
  };
}
