import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter, Gauge } from 'prom-client';
import { createConcurrencyGate } from '../../shared/concurrency-gate';
import { sendProblem } from './problem-details';
import type { Step } from './request-steps';

export interface AdmissionMetrics {
  httpRequestsInProgress: Gauge;
  httpRequestsShed: Counter;
}

/**
 * Load shedding for the public API: at most `limit` requests do their work at once
 * (HTTP_MAX_CONCURRENT_REQUESTS); one more is refused at once with 503 `overloaded` and
 * `Retry-After: 1`, instead of queueing behind the others. Offered more than the instance can
 * do, its answers would otherwise wait longer and longer (seconds in the bench's open loop at
 * 75% of its maximum), and clients would time out on orders that were in fact accepted. With the
 * bound, a request spends at most about `limit` ÷ throughput at work (not counting any wait
 * before the instance reads it, which a smaller bound keeps short on saturated cores), and a
 * refused order was not stored: its retry, with its Idempotency-Key, is safe.
 *
 * Two places: `refuseWhenFull`, early in a route's chain, turns a request away before it costs
 * the database anything (its rate-limit count included); `admitted` wraps the route's handler
 * and holds the place while it works, however long the client waits (a client that gives up
 * does not end the work it started, and one gone before it starts gets none). A slow client
 * sending its body holds no place.
 */
export interface Admission {
  refuseWhenFull: Step;
  admitted<Req extends IncomingMessage, Res extends ServerResponse>(
    handler: (req: Req, res: Res) => unknown,
  ): (req: Req, res: Res) => Promise<void>;
}

/** The work `admitted` runs for a response, while it runs: see `workUnderway`. */
const underway = new WeakMap<ServerResponse, Promise<void>>();

/**
 * The route's work for `res` when it has begun and not yet ended, else undefined. A client gone
 * before its answer may still have had its order stored: what was done is known only once the
 * work ends (rate-limits.ts takes a create hit back only if it refused).
 */
export function workUnderway(res: ServerResponse): Promise<void> | undefined {
  return underway.get(res);
}

export function createAdmission(limit: number, metrics: AdmissionMetrics): Admission {
  const gate = createConcurrencyGate(limit, 0);
  const refuse = (res: ServerResponse) => {
    metrics.httpRequestsShed.inc();
    res.setHeader('Retry-After', '1');
    sendProblem(
      res,
      503,
      'overloaded',
      'The service is answering as many requests as it can; try again shortly',
    );
  };
  return {
    refuseWhenFull(_req, res, next) {
      if (gate.load().running >= limit) return refuse(res);
      next();
    },
    admitted(handler) {
      return async (req, res) => {
        const leave = await gate.enter();
        if (!leave) return refuse(res);
        // Gone already (after its body, before its work): nothing is done that it cannot retry.
        if (req.socket.destroyed || res.destroyed) return leave();
        metrics.httpRequestsInProgress.inc();
        const work = (async () => void (await handler(req, res)))();
        underway.set(
          res,
          work.catch(() => undefined),
        );
        try {
          await work;
        } finally {
          underway.delete(res);
          metrics.httpRequestsInProgress.dec();
          leave();
        }
      };
    },
  };
}

/** No bound: the API as it is built without one (tests of other things). */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER;
