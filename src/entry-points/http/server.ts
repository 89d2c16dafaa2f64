import express from 'express';
import helmet from 'helmet';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import { authenticate, type AuthenticationSettings } from './authentication';
import { healthRoutes } from './health-routes';
import { apiDocsRoutes } from './openapi/api-docs-routes';
import { listen, type HttpTimeouts, type WebServer } from './http-listener';
import { ORDERS_PATH, orderRoutes, type OrderRoutesDependencies } from './order-routes';
import { orderRateLimit } from './order-rate-limit';
import { endOfRoutes, sendProblem } from './problem-details';
import type { Readiness } from './readiness';
import { requestId } from './request-id';
import { requestMetrics } from './request-metrics';

export type { WebServer } from './http-listener';

export interface WebServerDependencies extends OrderRoutesDependencies {
  readiness: Readiness;
  authentication: AuthenticationSettings;
  /** Orders one caller may create per minute (0: no limit). */
  rateLimitPerMinute: number;
  logger: Logger;
  metrics: Metrics;
  trustProxy?: boolean;
}

/** The public API: customers' and operators' calls, `/health`, `/ready` and its OpenAPI document. */
export function createApp(dependencies: WebServerDependencies) {
  const { readiness, logger, trustProxy } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy ?? false);
  app.use(requestMetrics(dependencies.metrics.httpRequestDuration));
  app.use(requestId(logger));
  // A JSON API: nothing may be framed, sniffed or loaded from its answers.
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      frameguard: { action: 'deny' },
    }),
  );
  app.use(healthRoutes(readiness));
  app.use(apiDocsRoutes());
  // Shutting down: a request that still reaches us (a keep-alive connection, a load balancer
  // that has not yet seen /ready fail) gets a clean refusal it may retry elsewhere.
  app.use((_req, res, next) => {
    if (!readiness.isStopping()) return next();
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '1');
    sendProblem(res, 503, 'shutting-down', 'The service is shutting down; try again');
  });
  // Orders are personal: no cache along the way may keep them. The token is checked before the
  // body is read, so an anonymous client cannot make us parse a megabyte.
  app.use(ORDERS_PATH, (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(ORDERS_PATH, authenticate(dependencies.authentication));
  app.post(ORDERS_PATH, orderRateLimit(dependencies.rateLimitPerMinute));
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
  app.use(endOfRoutes(logger));
  return app;
}

export function startWebServer(
  dependencies: WebServerDependencies,
  port: number,
  timeouts: HttpTimeouts,
): Promise<WebServer> {
  return listen(createApp(dependencies), port, timeouts, dependencies.logger, 'HTTP server');
}
