import type { RequestHandler } from 'express';
import { METHODS } from 'node:http';
import type { Histogram } from 'prom-client';

/** Requests answered before reaching a route: a refused token, an unknown path, a bad body. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(METHODS);

/**
 * Times every request into `http_request_duration_seconds{route,method,status_code}`. The route
 * is the template that matched (`/api/v1/orders/:id`), never the raw path, so ids do not become
 * labels. It is read when Express enters the route: by the time an error reaches the final
 * handler, Express has already reset `req.baseUrl` to the mount point above the router.
 */
export function requestMetrics(histogram: Histogram<'route' | 'method' | 'status_code'>) {
  const handler: RequestHandler = (req, res, next) => {
    const stopTimer = histogram.startTimer();
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
    res.once('finish', () =>
      stopTimer({
        route,
        method: KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
        status_code: String(res.statusCode),
      }),
    );
    next();
  };
  return handler;
}
