import type { RequestHandler } from 'express';
import { METHODS, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Histogram } from 'prom-client';
import { nameHttpRoute } from '../../shared/trace-context';
import type { Step } from './request-steps';

type RequestHistogram = Histogram<'route' | 'method' | 'status_code'>;

/** Requests answered before reaching a route: a refused token, an unknown path, a bad body. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(METHODS);

/**
 * Times every request into `http_request_duration_seconds{route,method,status_code}`. The route
 * is the template that matched (`/api/v1/orders/:id`), never the raw path, so ids do not become
 * labels. It is read when Express enters the route: by the time an error reaches the final
 * handler, Express has already reset `req.baseUrl` to the mount point above the router.
 */
export function requestMetrics(histogram: RequestHistogram) {
  const handler: RequestHandler = (req, res, next) => {
    let route = UNMATCHED_ROUTE;
    let matched: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => matched,
      set(value: { path?: unknown } | undefined) {
        matched = value;
        if (typeof value?.path !== 'string') return;
        // A router's own root ('/') is its mount point: `/api/v1/orders`, not `/api/v1/orders/`.
        route = value.path === '/' && req.baseUrl ? req.baseUrl : `${req.baseUrl}${value.path}`;
      },
    });
    timeRequest(histogram, req, res, () => route);
    next();
  };
  return handler;
}

const ROUTE = Symbol('route');
type Routed = { [ROUTE]?: string };

/**
 * The same timing for requests dispatched without Express's router (create-order-endpoint.ts):
 * `unmatched` until `enterRoute` names the route, as Express names it only once its router
 * enters the route (a refusal while shutting down comes before that).
 */
export function routeMetrics(histogram: RequestHistogram): Step {
  return (req, res, next) => {
    timeRequest(histogram, req, res, () => (res as Routed)[ROUTE] ?? UNMATCHED_ROUTE);
    next();
  };
}

/** Where Express's router would enter `route`: its metrics label and its trace's `http.route`. */
export function enterRoute(route: string): Step {
  return (_req, res, next) => {
    (res as Routed)[ROUTE] = route;
    nameHttpRoute(route);
    next();
  };
}

function timeRequest(
  histogram: RequestHistogram,
  req: IncomingMessage,
  res: ServerResponse,
  routeOf: () => string,
): void {
  const stopTimer = histogram.startTimer();
  res.once('finish', () =>
    stopTimer({
      route: routeOf(),
      method: KNOWN_METHODS.has(req.method ?? '') ? (req.method as string) : 'OTHER',
      status_code: String(res.statusCode),
    }),
  );
}
