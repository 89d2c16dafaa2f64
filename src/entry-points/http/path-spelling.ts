import type { RequestHandler } from 'express';
import { sendProblem } from './problem-details';

/**
 * Refuses paths with an empty segment (`//`, a trailing `/`) before any routing. Express matches
 * `/api/v1/orders//` and `/api/v1/orders/` to the create route while a middleware mounted on the
 * exact path may not see them: one spelling per resource leaves nothing to slip past a guard.
 */
export function refuseEmptyPathSegments(): RequestHandler {
  return (req, res, next) => {
    const path = req.url.split('?', 1)[0] ?? '';
    if (path.includes('//') || (path.length > 1 && path.endsWith('/'))) {
      return sendProblem(res, 404, 'not-found', 'No route has an empty path segment');
    }
    next();
  };
}
