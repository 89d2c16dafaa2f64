import type { Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { createDatabase } from './data-access/prisma-client-factory';
import { createOrderRepository } from './data-access/order-repository';
import { createOutboxRepository } from './data-access/outbox-repository';
import { startWebServer, type WebServer } from './entry-points/http/server';
import type { ReadinessCheck } from './entry-points/http/health-routes';
import { createMessaging } from './messaging/messaging-factory';
import { SchemaIncompatibleError } from './messaging/schema-registration';
import { provisionTopics } from './messaging/topic-provisioning';
import { createOutboxRelay } from './workers/outbox-relay';

export interface RunningService {
  http: WebServer;
  logger: Logger;
  /** Stops intake first, then lets the relay finish its batch, then closes connections. */
  stop(): Promise<void>;
}

/** Wires every part of the service from one config; `start.ts` and the tests both use it. */
export async function startOrderService(
  config: Config,
  logger = createLogger(config.LOG_LEVEL),
): Promise<RunningService> {
  const db = createDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    logger: logger.child({ namespace: 'Database' }),
  });
  const messaging = createMessaging(config, logger);
  try {
    if (config.KAFKA_CREATE_TOPICS) await provisionTopics(messaging.kafka, config, logger);
    await messaging.registerProducedSchemas();
  } catch (error) {
    // An incompatible schema is a release mistake: refuse to run. An unreachable registry is
    // not: intake works and the relay registers the schemas once the registry answers.
    if (error instanceof SchemaIncompatibleError || config.KAFKA_CREATE_TOPICS) {
      await Promise.allSettled([messaging.producer.disconnect(), db.$disconnect()]);
      throw error;
    }
    logger.warn('schema registry unreachable at start-up; publishing waits for it', {
      error: error instanceof Error ? error.message : String(error),
    });
  }

  const relay = createOutboxRelay(
    {
      outbox: createOutboxRepository(db),
      producer: messaging.producer,
      encoder: messaging.encoder,
      logger: logger.child({ namespace: 'OutboxRelay' }),
    },
    {
      databaseUrl: config.DATABASE_URL,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      batchSize: config.OUTBOX_BATCH_SIZE,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      retryMinMs: config.OUTBOX_RETRY_MIN_MS,
      retryMaxMs: config.OUTBOX_RETRY_MAX_MS,
      retentionHours: config.OUTBOX_RETENTION_HOURS,
      pruneIntervalMs: config.OUTBOX_PRUNE_INTERVAL_MS,
    },
  );
  relay.start();

  const databaseCheck: ReadinessCheck = {
    name: 'database',
    check: async () => {
      await db.$queryRaw`SELECT 1`;
      return { ok: true };
    },
  };
  const http = await startWebServer(
    {
      orders: createOrderRepository(db),
      readinessChecks: [databaseCheck],
      readinessDetails: () => ({
        kafkaProducerBreaker: messaging.producer.state(),
        outboxRelayLeader: relay.isLeader(),
      }),
      logger: logger.child({ namespace: 'HTTP' }),
      trustProxy: config.TRUST_PROXY,
    },
    config.PORT,
  );

  return {
    http,
    logger,
    async stop() {
      await http.stop(config.SHUTDOWN_TIMEOUT_MS);
      await relay.stop();
      await messaging.producer.disconnect();
      await db.$disconnect();
    },
  };
}
