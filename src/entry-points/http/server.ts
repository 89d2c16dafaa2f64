import type { IncomingMessage, RequestListener } from 'node:http';
import express, { type Express } from 'express';
import proxyaddr from 'proxy-addr';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../../shared/metrics';
import { createAdmission, UNBOUNDED } from './admission';
import { authenticate, type AuthenticationSettings } from './authentication';
import { withCreateOrderEndpoint } from './create-order-endpoint';
import { healthRoutes } from './health-routes';
import { apiDocsRoutes } from './openapi/api-docs-routes';
import { listen, type HttpTimeouts, type WebServer } from './http-listener';
import {
  createOrderSteps,
  ORDERS_PATH,
  orderRoutes,
  type OrderRoutesDependencies,
} from './order-routes';
import { refuseEmptyPathSegments } from './path-spelling';
import { endOfRoutes, sendProblem } from './problem-details';
import type { Readiness } from './readiness';
import { requestId } from './request-id';
import { enterRoute, requestMetrics, routeMetrics } from './request-metrics';
import type { Step } from './request-steps';
import { securityHeaders } from './security-headers';

export type { WebServer } from './http-listener';

export interface WebServerDependencies extends OrderRoutesDependencies {
  readiness: Readiness;
  authentication: AuthenticationSettings;
  logger: Logger;
  metrics: Metrics;
  /** Express `trust proxy`: false, a hop count, or the addresses and CIDRs of the proxies. */
  trustProxy?: boolean | number | string[];
  /** HTTP_MAX_CONCURRENT_REQUESTS: API requests at work at once, more are shed (admission.ts). */
  maxConcurrentRequests?: number;
}

/** The public API: customers' and operators' calls, `/health`, `/ready` and its OpenAPI document. */
export function createApp(dependencies: WebServerDependencies): Express {
  return createApi(dependencies).app;
}

/**
 * The API as an Express app, and the listener the server runs: the app, except that
 * `POST /api/v1/orders` runs the same steps without Express (create-order-endpoint.ts).
 */
export function createApi(dependencies: WebServerDependencies): {
  app: Express;
  listener: RequestListener;
} {
  const { readiness, logger, trustProxy, metrics } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy ?? false);
  // One spelling per path: `/API/v1/orders` and `/api/v1/orders/` are not the create route.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  // The client's address as Express's `req.ip` gives it, for a request Express never saw.
  const trust = app.get('trust proxy fn') as Parameters<typeof proxyaddr>[1];
  const clientAddress = (req: IncomingMessage) => proxyaddr(req, trust);

  const identify = requestId(logger);
  const headers = securityHeaders();
  // Shutting down: a request that still reaches us (a keep-alive connection, a load balancer
  // that has not yet seen /ready fail) gets a clean refusal it may retry elsewhere.
  const refuseWhileStopping: Step = (_req, res, next) => {
    if (!readiness.isStopping()) return next();
    res.setHeader('Connection', 'close');
    res.setHeader('Retry-After', '1');
    sendProblem(res, 503, 'shutting-down', 'The service is shutting down; try again');
  };
  // Orders are personal: no cache along the way may keep them. No body is read here: each
  // route reads its own, after authentication and its rate limit (order-routes.ts).
  const noStore: Step = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
  const guards = {
    authenticate: authenticate(dependencies.authentication),
    clientAddress,
    logger,
    admission: createAdmission(dependencies.maxConcurrentRequests ?? UNBOUNDED, metrics),
  };
  const createOrder = createOrderSteps(dependencies, guards);

  app.use(requestMetrics(metrics.httpRequestDuration));
  app.use(identify);
  app.use(headers);
  app.use(refuseEmptyPathSegments());
  app.use(healthRoutes(readiness));
  app.use(apiDocsRoutes());
  app.use(refuseWhileStopping);
  app.use(ORDERS_PATH, noStore);
  app.use(ORDERS_PATH, orderRoutes(dependencies, guards, createOrder));
  app.use(endOfRoutes(logger));

  // The same steps as the app's, in its order, for the one path and method.
  const createOrderAlone = [
    routeMetrics(metrics.httpRequestDuration),
    identify,
    headers,
    refuseWhileStopping,
    noStore,
    enterRoute(ORDERS_PATH),
    ...createOrder,
  ];
  return { app, listener: withCreateOrderEndpoint(app, createOrderAlone, logger) };
}

export function startWebServer(
  dependencies: WebServerDependencies,
  port: number,
  timeouts: HttpTimeouts,
): Promise<WebServer> {
  const { listener } = createApi(dependencies);
  return listen(listener, port, timeouts, dependencies.logger, 'HTTP server');
}
