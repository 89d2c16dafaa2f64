import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Caller } from '../../domain/access-policy';
import { sendProblem } from './problem-details';

/**
 * Orders created per caller per minute, with express-rate-limit's in-memory store: a fixed
 * one-minute window per key, per instance. Behind a load balancer spreading one caller over N
 * instances the caller gets up to N times the limit; a shared store (e.g. rate-limit-redis)
 * makes it global. Only accepted orders count (`skipFailedRequests`), so a client fixing a
 * validation error is not locked out. `perMinute` 0 turns the limit off.
 */
export function orderRateLimit(perMinute: number): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipFailedRequests: true,
    // With AUTH_MODE=none there is no subject: the client address, through the library's helper
    // (one key per IPv6 /56, not per address, which a client could rotate through).
    keyGenerator: (req) => subjectKey(req.caller) ?? `address:${ipKeyGenerator(req.ip ?? '')}`,
    // Retry-After is set by the library before this runs.
    handler: (_req, res) =>
      sendProblem(res, 429, 'rate-limited', `At most ${perMinute} orders per minute may be placed`),
  });
}

/** The token's subject, or undefined without authentication. */
function subjectKey(caller: Caller): string | undefined {
  switch (caller.kind) {
    case 'customer':
      return `customer:${caller.customerId}`;
    case 'operator':
      return `operator:${caller.subject}`;
    case 'unauthenticated':
      return undefined;
  }
}
