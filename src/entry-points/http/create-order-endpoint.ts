import type { IncomingMessage, RequestListener } from 'node:http';
import { errorMessage } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import { ORDERS_PATH } from './order-routes';
import { answerError } from './problem-details';
import { runSteps, type Step } from './request-steps';

/**
 * `POST /api/v1/orders` without Express: intake is the hot path, and Express's router, its
 * request and response prototypes and its per-request work cost more CPU than the rest of intake
 * (issue 23: 0.74 → 0.44 ms of CPU per order; docs/performance.md). The steps are the ones the
 * Express app runs for this route, in the same order (server.ts builds both lists from the same
 * instances), and its errors leave through the same problem handler. Every other request goes to
 * the Express app.
 */
export function withCreateOrderEndpoint(
  app: RequestListener,
  steps: readonly Step[],
  logger: Logger,
): RequestListener {
  const createOrder = runSteps(steps, (error, req, res) => {
    try {
      // An answer already under way cannot become a problem document: cut it, as Express does.
      if (res.headersSent) {
        logger.error('error after the answer began', { error: errorMessage(error) });
        return void res.destroy();
      }
      answerError(error, req, res, logger);
    } catch (failure) {
      // The error handler's own failure must not take the process down with it.
      logger.error('the error handler failed', { error: errorMessage(failure) });
      res.destroy();
    }
  });
  return (req, res) => (isCreateOrder(req) ? createOrder(req, res) : app(req, res));
}

/** Exactly the create route's spelling (paths are case-sensitive and strict); any query. */
function isCreateOrder(req: IncomingMessage): boolean {
  const { url } = req;
  return (
    req.method === 'POST' &&
    url !== undefined &&
    url.startsWith(ORDERS_PATH) &&
    (url.length === ORDERS_PATH.length || url[ORDERS_PATH.length] === '?')
  );
}
