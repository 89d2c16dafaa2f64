import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Caller } from '../../domain/access-policy';
import { errorMessage } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';
import { workUnderway } from './admission';
import { sendProblem } from './problem-details';
import type { Step } from './request-steps';
import './request-fields';

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
 * The limit of one route class, per token subject, for the route itself: a step in the route's
 * own chain, so no spelling of the path reaches the handler without it. One statement per
 * request at most (the counter's upsert, which coalesces a caller's concurrent hits). Orders
 * count only when accepted (one more statement for a refused one), so a client fixing a
 * validation error is not locked out; reads and cancels count whatever their answer, so probing
 * ids costs the same.
 *
 * The answers are express-rate-limit's (draft-8 `RateLimit` and `RateLimit-Policy`, and
 * `Retry-After` on a 429), written here on node's own response because that library needs
 * Express's, and the create route runs without Express (create-order-endpoint.ts). Without a
 * token subject (AUTH_MODE=none) the key is the client's address as `clientAddress` gives it
 * (Express's `trust proxy` rule), one key per IPv6 /56 through that library's helper.
 */
export function routeRateLimit(
  kind: RouteClass,
  settings: RateLimitSettings,
  clientAddress: (req: IncomingMessage) => string,
  logger: Logger,
): Step {
  const perMinute = settings.perMinute[kind];
  if (perMinute === 0) return (_req, _res, next) => next();
  const counter = settings.counter ?? memoryCounter();
  const countsOnlyAccepted = kind === 'create';
  return async (req, res, next) => {
    const key = subjectKey(req.caller) ?? `address:${ipKeyGenerator(clientAddress(req))}`;
    const counted = `${kind}:${key}`;
    // Watched before the hit is counted: a client gone while it is counted is taken back too.
    const onRefusal = countsOnlyAccepted ? watchForRefusal(res) : undefined;
    const { hits, resetTime } = await counter.hit(counted, WINDOW_MS);
    onRefusal?.(() => {
      // A hit of a window already over has nothing left to take back.
      if (Date.now() >= resetTime.getTime()) return;
      counter.undo(counted).catch((error: unknown) =>
        logger.warn('a refused order could not be taken back from its rate limit', {
          error: errorMessage(error),
        }),
      );
    });
    const resetSeconds = Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1_000));
    res.appendHeader(
      'RateLimit',
      `"${kind}"; r=${Math.max(perMinute - hits, 0)}; t=${resetSeconds}`,
    );
    res.appendHeader(
      'RateLimit-Policy',
      `"${kind}"; q=${perMinute}; w=${WINDOW_MS / 1_000}; pk=:${partitionKey(key)}:`,
    );
    if (hits <= perMinute) return next();
    res.setHeader('Retry-After', String(resetSeconds));
    sendProblem(res, 429, 'rate-limited', `At most ${perMinute} ${LIMIT_TEXT[kind]}`);
  };
}

/**
 * Watches for an answer that refuses (4xx, 5xx), a request that ends without an answer, or a
 * response error, from now on; returns how to say what to do then. That runs at most once, at
 * once if the refusal came first. A client gone while the route's work is under way (admission.ts)
 * is judged by that work's answer once it ends: the order may have been stored, and a client
 * that hangs up after sending its body must not have it taken back (else aborting each request
 * would order past the limit).
 */
function watchForRefusal(res: ServerResponse): (undo: () => void) => void {
  let refused = false;
  let undo: (() => void) | undefined;
  const refuse = () => {
    if (refused) return;
    refused = true;
    undo?.();
  };
  res.once('finish', () => {
    if (res.statusCode >= 400) refuse();
  });
  res.once('close', () => {
    if (res.writableEnded) return;
    const work = workUnderway(res);
    if (!work) return refuse();
    // After the route's own error handling, which may answer (a 400) once the work rejects.
    void work.then(() => setImmediate(() => res.statusCode >= 400 && refuse()));
  });
  res.once('error', refuse);
  return (then) => {
    undo = then;
    if (refused) then();
  };
}

/** The policy's partition key, as express-rate-limit writes it: no subject shown in clear. */
function partitionKey(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return Buffer.from(hex).toString('base64');
}

/** Keys the in-process counter holds before it forgets those of windows already over. */
const MEMORY_KEYS_BEFORE_PRUNING = 10_000;

/** Counts in this process alone, for apps built without a shared counter. */
function memoryCounter(): RateLimitCounter {
  const windows = new Map<string, { start: number; hits: number }>();
  return {
    async hit(key, windowMs) {
      const start = Math.floor(Date.now() / windowMs) * windowMs;
      if (windows.size >= MEMORY_KEYS_BEFORE_PRUNING) {
        for (const [known, window] of windows) if (window.start < start) windows.delete(known);
      }
      const window = windows.get(key);
      const hits = window && window.start === start ? window.hits + 1 : 1;
      windows.set(key, { start, hits });
      return { hits, resetTime: new Date(start + windowMs) };
    },
    async undo(key) {
      const window = windows.get(key);
      if (window && window.hits > 0) window.hits -= 1;
    },
    async reset(key) {
      windows.delete(key);
    },
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
