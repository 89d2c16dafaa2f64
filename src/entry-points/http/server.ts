import express from 'express';
import type { Registry } from 'prom-client';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from '../../shared/logger';
import { requestId } from './request-id';
import { authenticate, type AuthenticationSettings } from './authentication';
import { healthRoutes, type ReadinessCheck } from './health-routes';
import { ORDERS_PATH, orderRoutes, type OrderRoutesDependencies } from './order-routes';
import { problemDetailsHandler, sendProblem } from './problem-details';

export interface WebServerDependencies extends OrderRoutesDependencies {
  readinessChecks: readonly ReadinessCheck[];
  /** Extra state shown by `/ready` without affecting it. */
  readinessDetails?: () => Record<string, unknown>;
  /** Prometheus registry served at GET /metrics. */
  metricsRegistry?: Registry;
  authentication: AuthenticationSettings;
  logger: Logger;
  trustProxy?: boolean;
}

export interface WebServer {
  port: number;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then cuts what is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function createApp(dependencies: WebServerDependencies) {
  const { readinessChecks, readinessDetails, logger, trustProxy } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy ?? false);
  app.use(requestId(logger));
  app.use(healthRoutes(readinessChecks, readinessDetails));
  const { metricsRegistry } = dependencies;
  if (metricsRegistry) {
    app.get('/metrics', async (_req, res) => {
      res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
    });
  }
  // The token is checked before the body is read: an anonymous client cannot make us parse a
  // megabyte.
  app.use(ORDERS_PATH, authenticate(dependencies.authentication));
  app.use((req, res, next) => {
    // Any non-empty body must be JSON; an empty one is left for validation to name.
    const hasContent =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
    if (hasContent && !req.is(['application/json', 'application/*+json'])) {
      return sendProblem(res, 415, 'unsupported-media-type', 'Send the body as application/json');
    }
    next();
  });
  app.use(express.json({ limit: '1mb', type: ['application/json', 'application/*+json'] }));
  app.use(ORDERS_PATH, orderRoutes(dependencies));
  app.use((req, res) => {
    sendProblem(res, 404, 'not-found', `No route for ${req.method} ${req.path}`);
  });
  app.use(problemDetailsHandler(logger));
  return app;
}

export async function startWebServer(
  dependencies: WebServerDependencies,
  port: number,
): Promise<WebServer> {
  const app = createApp(dependencies);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const actualPort = (server.address() as AddressInfo).port;
  dependencies.logger.info('HTTP server listening', { port: actualPort });
  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}`,
    stop: (graceMs = 10_000) => stopServer(server, graceMs),
  };
}

function stopServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const forceTimer = setTimeout(() => server.closeAllConnections(), graceMs);
    forceTimer.unref();
    server.close((error) => {
      clearTimeout(forceTimer);
      return error ? reject(error) : resolve();
    });
    server.closeIdleConnections();
  });
}
