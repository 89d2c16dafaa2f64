import {
  MAX_ROUNDS,
  ROUND_WAIT_MS,
  TOTAL,
  at,
  outboxPayloads,
  placeOrdersOn,
  raceInRounds,
  startTwoInstances,
  waitForEventsProcessed,
  type Aim,
  type TwoInstances,
} from './race-support';
import { pathCounts, sagaStories, violationsOf } from './saga-story';

const PAYMENT_TIMEOUT_MS = 2_000;
const ORDERS_PER_ROUND = 30;

const REPLY_WON = '>PENDING PENDING>INVENTORY_RESERVING';
const SWEEPER_WON = '>PENDING PENDING>FAILED FAILED>FAILED';

interface Raced {
  orderId: string;
  eventId: string;
  /** When the payment was sent, after the order's payment deadline (ms). */
  offset: number;
}

/**
 * A payment reply against the deadline sweeper, on two instances that both sweep every 10 ms:
 * each order's payment is sent to land around the moment its payment deadline passes, so the
 * reply's transaction and a sweeper's meet on the same order (see raceInRounds).
 */
describe('races: a payment reply against the deadline sweeper', () => {
  let stack: TwoInstances;

  beforeAll(async () => {
    stack = await startTwoInstances({
      SAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
      // Orders the reply won wait on inventory, which never answers here: long enough to stay.
      SAGA_INVENTORY_TIMEOUT_MS: '600000',
      SAGA_SWEEP_INTERVAL_MS: '10',
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** One round: each order's payment sent at its deadline plus an offset in center ± spread. */
  async function race({ center, spread }: Aim): Promise<Raced[]> {
    const ids = await placeOrdersOn(stack.instances, ORDERS_PER_ROUND, 'race-deadline');
    const { rows } = await stack.sql.query<{ id: string; step_deadline_at: Date }>(
      'SELECT id, step_deadline_at FROM orders WHERE id = ANY($1) ORDER BY step_deadline_at',
      [ids],
    );
    const step = (2 * spread) / (rows.length - 1);
    const raced = await Promise.all(
      rows.map(async ({ id, step_deadline_at }, n): Promise<Raced> => {
        const deadline = step_deadline_at.getTime();
        const [sentAt, sent] = await at(deadline + center - spread + n * step, () =>
          stack.events.send('payment_successful', {
            orderId: id,
            paymentId: `pay-${id}`,
            amount: TOTAL,
          }),
        );
        return { orderId: id, eventId: String(sent.eventId), offset: sentAt - deadline };
      }),
    );
    await waitForEventsProcessed(
      stack.sql,
      raced.map((r) => r.eventId),
      'every payment of the round processed',
    );
    return raced;
  }

  test(
    'when payments land as their deadlines pass, then each order has one story: paid and reserving, or failed with that payment refunded exactly once',
    async () => {
      // The reply is the early side: it wins when sent early enough.
      const raced = await raceInRounds(
        stack.sql,
        { center: -100, spread: 300 },
        race,
        (story) => story.status !== 'FAILED',
      );

      const ids = raced.map((r) => r.orderId);
      const stories = await sagaStories(stack.sql, ids);
      expect(violationsOf(stories)).toEqual([]);
      // Both interleavings happened, and no other.
      expect(pathCounts(stories)).toEqual({
        [REPLY_WON]: expect.any(Number),
        [SWEEPER_WON]: expect.any(Number),
      });
      // The sweeper's orders: that payment refunded once, in full; the reply's: no refund.
      const refunds = await outboxPayloads(stack.sql, ids, 'refund_payment_request');
      const failed = stories.filter((s) => s.status === 'FAILED').map((s) => s.orderId);
      expect(refunds.map((r) => r.order_id).sort()).toEqual(failed.sort());
      for (const { order_id, payload } of refunds) {
        expect(payload).toMatchObject({ paymentId: `pay-${order_id}`, amount: TOTAL });
      }
      // Each payment applied once: as the order's when it won, refunded when it lost.
      const { rows: processed } = await stack.sql.query<{ order_id: string; outcome: string }>(
        'SELECT order_id, outcome FROM processed_events WHERE event_id = ANY($1)',
        [raced.map((r) => r.eventId)],
      );
      const outcomeOf = new Map(processed.map((p) => [p.order_id, p.outcome]));
      for (const { orderId, status } of stories) {
        expect([orderId, outcomeOf.get(orderId)]).toEqual([
          orderId,
          status === 'FAILED' ? 'compensated' : 'applied',
        ]);
      }
    },
    MAX_ROUNDS * (PAYMENT_TIMEOUT_MS + ROUND_WAIT_MS + 5_000),
  );
});
