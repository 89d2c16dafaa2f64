import path from 'node:path';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { NotFoundError } from '../../shared/app-error';
import { authenticateConsole, requireConsoleRole } from './console-auth';
import { boundedConcurrency, consoleGate } from './console-concurrency';
import type { ConsoleDependencies, ConsoleFeature } from './console-dependencies';
import { auditRoutes } from './audit-routes';
import { failuresRoutes } from './failures-routes';
import { orderJourneyRoutes } from './order-journey-routes';
import { overviewRoutes } from './overview-routes';
import { sessionRoutes } from './session-routes';
import { createSharedReads } from './shared-reads';

export type { ConsoleDependencies, ConsoleSettings } from './console-dependencies';

/** Each feature in a file of its own; console-journey and console-core add theirs here. */
const FEATURES: ReadonlyArray<[string, ConsoleFeature]> = [
  ['/session', sessionRoutes],
  ['/failures', failuresRoutes],
  ['/overview', overviewRoutes],
  ['/orders', orderJourneyRoutes],
  ['/audit', auditRoutes],
];

export const CONSOLE_STATIC_DIR = path.join(__dirname, 'static');

/**
 * The operator console, mounted at /console on the admin port: static pages from its own
 * origin (no CDN, strict CSP) and a JSON API under /console/api/ that only a viewer or an
 * operator token opens.
 */
export function createConsoleRouter(dependencies: ConsoleDependencies): express.Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  router.use(consoleSecurityHeaders());
  router.use('/api', consoleApi(dependencies));
  router.use(express.static(CONSOLE_STATIC_DIR, { index: 'index.html', fallthrough: true }));
  return router;
}

function consoleApi(dependencies: ConsoleDependencies): express.Router {
  const api = express.Router({ caseSensitive: true, strict: true });
  // Authentication before anything else, unknown paths included: no token, 401, always.
  api.use(authenticateConsole(dependencies.readToken));
  api.use(noStore);
  api.use(requireConsoleRole('viewer'));
  api.use(boundedConcurrency(consoleGate(dependencies.settings.maxConcurrentRequests)));
  api.use(express.json({ limit: '64kb' }));
  const sharedReads = createSharedReads(dependencies.settings.summaryMaxAgeSeconds * 1_000);
  // Every state change is a POST: once one is answered, the shared answers are refreshed.
  api.use((req, res, next) => {
    if (req.method === 'POST') res.once('finish', sharedReads.forget);
    next();
  });
  const context = { ...dependencies, sharedReads };
  for (const [mountPath, feature] of FEATURES) api.use(mountPath, feature(context));
  api.use((req, _res, next) =>
    next(new NotFoundError(`No console route for ${req.method} ${req.baseUrl}${req.path}`)),
  );
  return api;
}

/** Dead letters and orders are not for any cache on the way. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * Scripts, styles and data only from this origin, and no inline script or style at all; the
 * pages may not be framed (clickjacking an operator's replay button) or sniffed.
 */
function consoleSecurityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // The admin port is plain HTTP inside the monitoring network; HSTS belongs to the proxy.
    strictTransportSecurity: false,
  });
}
