import express from 'express';
import { deadLettersOfOrder } from '../../data-access/order-dead-letters-sql';
import { createOrderJourneyQueries } from '../../data-access/order-journey-sql';
import { poolOf, type Database } from '../../data-access/prisma-client-factory';
import { deadLetterTarget } from '../../domain/operator-audit';
import { journeyTimeline, traceLink } from '../../domain/order-journey';
import { remainingSteps, sagaGraph } from '../../domain/saga-graph';
import { NEW_ORDER } from '../../domain/saga-transitions';
import { NotFoundError, ValidationError } from '../../shared/app-error';

export interface OrderJourneyDependencies {
  /** The console's own pool. */
  db: Database;
  settings: { traceUrlTemplate: string | undefined };
}

const MAX_QUERY_LENGTH = 200;

/**
 * GET /console/api/orders/search?q=: orders by order, customer, event, payment or reservation
 * id. GET /console/api/orders/:orderId/journey: one order's timeline, its saga diagram with the
 * current state and the steps left, and its trace link. Viewers and operators alike: nothing
 * here changes state, and no record payload is shown.
 */
export function orderJourneyRoutes({ db, settings }: OrderJourneyDependencies): express.Router {
  const pool = poolOf(db);
  const queries = createOrderJourneyQueries(pool);
  const router = express.Router({ caseSensitive: true, strict: true });

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

  return router;
}
