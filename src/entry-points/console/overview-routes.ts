import express from 'express';
import { createConsoleOverviewRepository } from '../../data-access/console-overview-repository';
import { createDeadLetterGroupsRepository } from '../../data-access/dead-letter-groups-repository';
import type { ConsoleFeatureContext } from './console-dependencies';

/**
 * GET /console/api/overview: the figures an operator looks at first, each with the page that
 * lists what is behind it (`link`, a console hash route). Postgres figures come from the
 * console's pool; the live ones (breakers, relay slots, consumer, lag) from this instance.
 */
export function overviewRoutes(dependencies: ConsoleFeatureContext): express.Router {
  const { sharedReads } = dependencies;
  const overview = createConsoleOverviewRepository(dependencies.db);
  const groups = createDeadLetterGroupsRepository(dependencies.db);
  const { stuckAfterSeconds } = dependencies.settings;
  const router = express.Router();

  // The database's figures, shared by every console for CONSOLE_SUMMARY_MAX_AGE_SECONDS.
  const storedFigures = () =>
    sharedReads.read('overview', async () => {
      const [byStatus, perHour, stuck, pending, oldest] = await Promise.all([
        overview.ordersByStatus(),
        overview.ordersPerHour(),
        overview.stuck(stuckAfterSeconds),
        groups.pendingPerTopic(),
        overview.oldestUnpublished(),
      ]);
      return { byStatus, perHour, stuck, pending, oldest, at: Date.now() };
    });

  router.get('/', async (_req, res) => {
    const [{ byStatus, perHour, stuck, pending, oldest, at }, live] = await Promise.all([
      storedFigures(),
      dependencies.liveState(),
    ]);
    const now = Date.now();
    res.json({
      generatedAt: new Date(at).toISOString(),
      ordersByStatus: Object.entries(byStatus).map(([status, orders]) => ({
        status,
        orders,
        link: `#/orders?status=${status}`,
      })),
      ordersPerHour: perHour,
      stuckSagas: {
        count: stuck.count,
        stuckAfterSeconds,
        link: '#/orders?stuck=1',
        oldest: stuck.oldest.map((order) => ({ ...order, link: `#/orders/${order.id}` })),
      },
      deadLettersPending: pending.map((topic) => ({
        ...topic,
        link: `#/failures?topic=${encodeURIComponent(topic.originalTopic)}`,
      })),
      oldestUnpublishedOutbox: oldest && {
        ...oldest,
        // Its order's journey lists the events it owes, published or not.
        link: `#/orders/${oldest.orderId}`,
        ageSeconds: Math.max(0, Math.round((now - oldest.createdAt.getTime()) / 1_000)),
      },
      relaySlotsHeld: { count: live.relaySlots.length, slots: live.relaySlots },
      consumer: { state: live.consumer, lagByTopic: live.consumerLag },
      breakers: { kafkaProducer: live.producerBreaker, deadLetterProducer: live.deadLetterBreaker },
      refreshSeconds: 15,
    });
  });
  return router;
}
