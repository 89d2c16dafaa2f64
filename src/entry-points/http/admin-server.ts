import express from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../shared/logger';
import { ASYNCAPI_PATH } from '../../messaging/asyncapi-document';
import { redactDeep, type Redactor } from '../../shared/redaction';
import { listen, type HttpTimeouts, type WebServer } from './http-listener';
import { endOfRoutes } from './problem-details';
import type { Readiness } from './readiness';
import { requestId } from './request-id';

export interface AdminServerDependencies {
  readiness: Readiness;
  metricsRegistry: Registry;
  /** Scrubs secrets from the readiness report (a driver's error text may quote one). */
  redact: Redactor;
  logger: Logger;
  /** The Kafka contract (AsyncAPI 3.0) with this instance's topic prefix and group. */
  asyncApiDocument: object;
  /** The operator console (entry-points/console), mounted at /console; built by the caller. */
  consoleRouter?: express.Router;
}

/**
 * The operators' port (ADMIN_PORT): Prometheus metrics, the readiness report with its reasons,
 * and the Kafka contract for peer teams (it names internal topics, so not on the public port).
 * It is for the monitoring network only and never published to customers. The operator
 * console lives here too, behind its own token check.
 */
export function createAdminApp({
  readiness,
  metricsRegistry,
  redact,
  logger,
  asyncApiDocument,
  consoleRouter,
}: AdminServerDependencies) {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId(logger));
  app.get('/metrics', async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  app.get('/ready', async (_req, res) => {
    const { ready, checks, details } = await readiness.report();
    res
      .status(ready ? 200 : 503)
      .json(redactDeep({ status: ready ? 'ready' : 'not ready', checks, ...details }, redact));
  });
  app.get(ASYNCAPI_PATH, (_req, res) => {
    res.json(asyncApiDocument);
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (consoleRouter) app.use('/console', consoleRouter);
  app.use(endOfRoutes(logger));
  return app;
}

export function startAdminServer(
  dependencies: AdminServerDependencies,
  port: number,
  timeouts: HttpTimeouts,
  host: string,
): Promise<WebServer> {
  return listen(
    createAdminApp(dependencies),
    port,
    timeouts,
    dependencies.logger,
    'admin server',
    host,
  );
}
