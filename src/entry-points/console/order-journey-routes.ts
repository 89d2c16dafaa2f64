import express from 'express';
import {
  createConsoleOverviewRepository,
  STUCK_COUNT_CAP,
} from '../../data-access/console-overview-repository';
import { deadLettersOfOrder } from '../../data-access/order-dead-letters-sql';
import { createOrderJourneyQueries } from '../../data-access/order-journey-sql';
import { poolOf } from '../../data-access/prisma-client-factory';
import { isCancellable } from '../../domain/cancel-order-use-case';
import { ORDER_STATUSES, type OrderStatus } from '../../domain/order-status';
import { orderIdSchema } from '../../domain/order-view';
import { deadLetterTarget } from '../../domain/operator-audit';
import { journeyTimeline, traceLink } from '../../domain/order-journey';
import { remainingSteps, sagaGraph } from '../../domain/saga-graph';
import { NEW_ORDER } from '../../domain/saga-transitions';
import { NotFoundError, ValidationError } from '../../shared/app-error';
import { decodeCursor, encodeCursor } from '../../shared/list-cursor';
import { parseOrThrow } from '../../shared/validation';
import { requireConsoleRole } from './console-auth';
import type { ConsoleDependencies, ConsoleSettings } from './console-dependencies';
import { queryInteger, queryText, requiredText } from './console-input';

export type OrderJourneyDependencies = Pick<ConsoleDependencies, 'db' | 'cancelOrder'> & {
  settings: Pick<ConsoleSettings, 'traceUrlTemplate' | 'stuckAfterSeconds'>;
};

const PAGE_SIZE = 50;

const MAX_QUERY_LENGTH = 200;

/**
 * GET /console/api/orders?status= or ?stuck=1: the orders in a status, or the stuck sagas, a page
 * at a time. GET /console/api/orders/search?q=: orders by order, customer, event, payment or reservation
 * id. GET /console/api/orders/:orderId/journey: one order's timeline, its saga diagram with the
 * current state and the steps left, and its trace link: for viewers and operators alike, and no
 * record payload is shown. POST /console/api/orders/:orderId/cancel: an operator cancels the
 * order with a reason, through the API's use case (its compensation and audit row included).
 */
export function orderJourneyRoutes({
  db,
  settings,
  cancelOrder,
}: OrderJourneyDependencies): express.Router {
  const pool = poolOf(db);
  const queries = createOrderJourneyQueries(pool);
  const overview = createConsoleOverviewRepository(db);
  const router = express.Router({ caseSensitive: true, strict: true });

  // GET /console/api/orders?status=S[&after=cursor] or ?stuck=1[&offset=n]: the lists the
  // overview's figures link to.
  router.get('/', async (req, res) => {
    if (req.query.stuck !== undefined) {
      const offset = queryInteger(req, 'offset', { min: 0, max: STUCK_COUNT_CAP, fallback: 0 });
      const { count, oldest } = await overview.stuck(settings.stuckAfterSeconds, {
        offset,
        limit: PAGE_SIZE,
      });
      const next = offset + PAGE_SIZE < count ? `stuck=1&offset=${offset + PAGE_SIZE}` : null;
      res.json({
        list: 'stuck',
        count,
        stuckAfterSeconds: settings.stuckAfterSeconds,
        orders: oldest.map(({ id, ...order }) => ({ orderId: id, ...order })),
        next,
      });
      return;
    }
    const status = queryText(req, 'status', 40);
    if (status === undefined || !(ORDER_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError('Name a status or stuck=1', [
        { path: 'status', message: `one of ${ORDER_STATUSES.join(', ')}` },
      ]);
    }
    const afterText = queryText(req, 'after', 200);
    const cursor = afterText === undefined ? undefined : decodeCursor(afterText, 'after');
    const after = cursor && { createdAt: cursor.createdAt.toISOString(), orderId: cursor.id };
    const orders = await queries.byStatus(status as OrderStatus, after, PAGE_SIZE);
    const last = orders.at(-1);
    const next =
      orders.length === PAGE_SIZE && last
        ? `status=${status}&after=${encodeCursor({ createdAt: last.createdAt, id: last.orderId })}`
        : null;
    res.json({ list: 'status', status, orders, next });
  });

  router.get('/search', async (req, res) => {
    const query = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    if (query.length === 0 || query.length > MAX_QUERY_LENGTH) {
      throw new ValidationError('The search needs a key', [
        { path: 'q', message: `is required, at most ${MAX_QUERY_LENGTH} characters` },
      ]);
    }
    res.json({ query, orders: await queries.search(query) });
  });

  router.get('/:orderId/journey', async (req, res) => {
    const orderId = req.params.orderId ?? '';
    const deadLetters = await deadLettersOfOrder(pool, orderId);
    const dlqTargets = deadLetters.map((d) => deadLetterTarget(d.dlqTopic, d.partition, d.offset));
    const stored = await queries.journey(orderId, dlqTargets);
    if (!stored) throw new NotFoundError(`No order ${orderId}`);
    const timeline = journeyTimeline(stored, deadLetters);
    const visited = [NEW_ORDER, ...stored.transitions.map((t) => t.to)];
    res.json({
      order: stored.order,
      timeline,
      diagram: {
        ...sagaGraph(),
        current: stored.order.status,
        visited: [...new Set(visited)],
        remaining: remainingSteps(stored.order.status),
      },
      cancellable: isCancellable(stored.order.status),
      traceUrl: traceLink(settings.traceUrlTemplate, stored.traceparent),
      missing: [
        ...(settings.traceUrlTemplate && stored.traceparent === null
          ? [
              'trace: no outbox row of the order carries trace context (tracing off, or rows pruned)',
            ]
          : []),
      ],
    });
  });

  const orderIdOf = (req: express.Request) =>
    parseOrThrow(orderIdSchema, req.params.orderId, 'The order id is not valid');

  router.post('/:orderId/cancel', requireConsoleRole('operator'), async (req, res) => {
    const reason = requiredText(req, 'reason');
    res.json({ order: await cancelOrder(orderIdOf(req), req.consoleUser, reason) });
  });

  return router;
}
