import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Caller } from '../../domain/access-policy';
import { sendProblem } from './problem-details';

/**
 * Hits per key in fixed windows, counted where every instance sees them (Postgres), so N
 * instances behind a load balancer give a caller the limit once, not N times.
 */
export interface RateLimitCounter {
  /** Counts one hit in the current window of `windowMs`; returns the window's hits so far. */
  hit(key: string, windowMs: number): Promise<{ hits: number; resetTime: Date }>;
  /** Takes one hit back (a request that does not count). */
  undo(key: string): Promise<void>;
  /** Forgets the key's hits. */
  reset(key: string): Promise<void>;
}

/** Each route belongs to one class, with a limit of its own per caller and minute. */
export type RouteClass = 'create' | 'read' | 'cancel';

export interface RateLimitSettings {
  /** Requests one caller may make per minute, per class; 0 turns that class's limit off. */
  perMinute: Record<RouteClass, number>;
  /** Shared counts; without one (unit tests), each app counts alone in memory. */
  counter?: RateLimitCounter;
}

const WINDOW_MS = 60_000;

const LIMIT_TEXT: Record<RouteClass, string> = {
  create: 'orders per minute may be placed',
  read: 'reads per minute may be made',
  cancel: 'cancellations per minute may be asked for',
};

/**
 * The limit of one route class, per token subject, for the route itself: a middleware in the
 * route's own chain, so no spelling of the path reaches the handler without it. One statement
 * per request (the counter's upsert). Orders count only when accepted (`skipFailedRequests`,
 * one more statement for a refused one), so a client fixing a validation error is not locked
 * out; reads and cancels count whatever their answer, so probing ids costs the same.
 */
export function routeRateLimit(kind: RouteClass, settings: RateLimitSettings): RequestHandler {
  const perMinute = settings.perMinute[kind];
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipFailedRequests: kind === 'create',
    identifier: kind,
    ...(settings.counter && { store: sharedStore(settings.counter, kind) }),
    // With AUTH_MODE=none there is no subject: the client address, through the library's helper
    // (one key per IPv6 /56, not per address, which a client could rotate through).
    keyGenerator: (req) => subjectKey(req.caller) ?? `address:${ipKeyGenerator(req.ip ?? '')}`,
    // Retry-After is set by the library before this runs.
    handler: (_req, res) =>
      sendProblem(res, 429, 'rate-limited', `At most ${perMinute} ${LIMIT_TEXT[kind]}`),
  });
}

/** express-rate-limit's store interface over the shared counter; keys prefixed by class. */
function sharedStore(counter: RateLimitCounter, kind: RouteClass): Store {
  const prefixed = (key: string) => `${kind}:${key}`;
  let windowMs = WINDOW_MS;
  return {
    localKeys: false,
    prefix: `${kind}:`,
    init: (options) => {
      windowMs = options.windowMs;
    },
    increment: async (key) => {
      const { hits, resetTime } = await counter.hit(prefixed(key), windowMs);
      return { totalHits: hits, resetTime };
    },
    decrement: (key) => counter.undo(prefixed(key)),
    resetKey: (key) => counter.reset(prefixed(key)),
  };
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
