import express from 'express';
import helmet from 'helmet';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import { authenticate, type AuthenticationSettings } from './authentication';
import { healthRoutes } from './health-routes';
import { apiDocsRoutes } from './openapi/api-docs-routes';
import { listen, type HttpTimeouts, type WebServer } from './http-listener';
import { ORDERS_PATH, orderRoutes, type OrderRoutesDependencies } from './order-routes';
import { refuseEmptyPathSegments } from './path-spelling';
import { endOfRoutes, sendProblem } from './problem-details';
import type { Readiness } from './readiness';
import { requestId } from './request-id';
import { requestMetrics } from './request-metrics';

export type { WebServer } from './http-listener';

export interface WebServerDependencies extends OrderRoutesDependencies {
  readiness: Readiness;
  authentication: AuthenticationSettings;
  logger: Logger;
  metrics: Metrics;
  /** Express `trust proxy`: false, a hop count, or the addresses and CIDRs of the proxies. */
  trustProxy?: boolean | number | string[];
}

/** The public API: customers' and operators' calls, `/health`, `/ready` and its OpenAPI document. */
export function createApp(dependencies: WebServerDependencies) {
  const { readiness, logger, trustProxy } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy ?? false);
  // One spelling per path: `/API/v1/orders` and `/api/v1/orders/` are not the create route.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
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
  app.use(refuseEmptyPathSegments());
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
  // Orders are personal: no cache along the way may keep them. No body is read here: each
  // route reads its own, after authentication and its rate limit (order-routes.ts).
  app.use(ORDERS_PATH, (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(ORDERS_PATH, orderRoutes(dependencies, authenticate(dependencies.authentication)));
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
