import type { Config } from './config';
import { createLogger, type Logger } from './shared/logger';
import { createDatabase } from './data-access/prisma-client-factory';
import { createOrderRepository } from './data-access/order-repository';
import { startWebServer, type WebServer } from './entry-points/http/server';
import type { ReadinessCheck } from './entry-points/http/health-routes';

export interface RunningService {
  http: WebServer;
  logger: Logger;
  /** Stops every part in reverse order of start, so no accepted work is dropped. */
  stop(): Promise<void>;
}

/** Wires every part of the service from one config; `start.ts` and the tests both use it. */
export async function startOrderService(config: Config, logger = createLogger(config.LOG_LEVEL)) {
  const db = createDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    logger: logger.child({ namespace: 'Database' }),
  });
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
      logger: logger.child({ namespace: 'HTTP' }),
      trustProxy: config.TRUST_PROXY,
    },
    config.PORT,
  );

  const service: RunningService = {
    http,
    logger,
    async stop() {
      await http.stop(config.SHUTDOWN_TIMEOUT_MS);
      await db.$disconnect();
    },
  };
  return service;
}
