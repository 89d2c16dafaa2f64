import type { RequestHandler } from 'express';
import { withCode } from '../../shared/app-error';
import { createConcurrencyGate, type ConcurrencyGate } from '../../shared/concurrency-gate';

/** Requests past the queue's bound are turned away at once rather than waiting for minutes. */
const MAX_WAITING_REQUESTS = 50;

/** The console's gate: `limit` requests at once (CONSOLE_MAX_CONCURRENT_REQUESTS), 50 waiting. */
export const consoleGate = (limit: number): ConcurrencyGate =>
  createConcurrencyGate(limit, MAX_WAITING_REQUESTS);

/**
 * The console shares the instance's cores with the API and the saga: however many operators
 * (or scripts) hit it, only a few of its requests run at once, so it cannot crowd them out.
 */
export function boundedConcurrency(gate: ConcurrencyGate): RequestHandler {
  return (req, res, next) => {
    gate.enter().then((leave) => {
      if (!leave) {
        next(new ConsoleBusyError('The console is answering many requests; try again shortly'));
        return;
      }
      // The caller may have gone while it waited: its 'close' has fired already.
      if (req.socket.destroyed || res.destroyed) {
        leave();
        return;
      }
      res.once('finish', leave);
      res.once('close', leave);
      next();
    }, next);
  };
}

class ConsoleBusyError extends withCode('console-busy', { retriable: true }) {}
