import type { RunningService } from '../../../src/application';
import {
  MAX_ROUNDS,
  MIN_ROUNDS,
  ROUND_WAIT_MS,
  TOTAL,
  outboxPayloads,
  placeOrdersOn,
  startTwoInstances,
  waitForEventsProcessed,
  type TwoInstances,
} from './race-support';
import { pathCounts, sagaStories, violationsOf } from './saga-story';

const ORDERS_PER_ROUND = 20;

const PAID = '>PENDING PENDING>INVENTORY_RESERVING';
const PAYMENT_FIRST = `${PAID} INVENTORY_RESERVING>INVENTORY_RESERVING INVENTORY_RESERVING>CONFIRMED`;
const RESERVATION_FIRST = `${PAID} INVENTORY_RESERVING>CONFIRMED CONFIRMED>CONFIRMED`;

/** Replies an instance applied (or applied as a compensation), over all topics. */
async function appliedBy(service: RunningService): Promise<number> {
  const { values } = await service.metrics.sagaEvents.get();
  return values
    .filter(({ labels }) => labels.outcome === 'applied' || labels.outcome === 'compensated')
    .reduce((sum, { value }) => sum + value, 0);
}

interface Sent {
  orderId: string;
  reservation: string;
  payment: string;
}

/**
 * Replies for one order on two topics at once, applied by two instances in one consumer group,
 * each consuming four partitions concurrently. For every order, a reservation and a second
 * payment (a double charge) are produced together; an order's key puts both in the same
 * partition number of their topics, so for a whole partition's orders the two are in flight
 * together. The reservation is also delivered a second time, as after a rebalance.
 */
describe('races: replies for one order on different topics, applied concurrently', () => {
  let stack: TwoInstances;

  beforeAll(async () => {
    stack = await startTwoInstances({ SAGA_PARTITIONS_CONCURRENCY: '4' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  /** Paid orders, waiting on inventory. */
  async function paidOrders(count: number): Promise<string[]> {
    const ids = await placeOrdersOn(stack.instances, count, 'race-topics');
    const payments = await Promise.all(
      ids.map((orderId) =>
        stack.events.send('payment_successful', {
          orderId,
          paymentId: `pay-${orderId}`,
          amount: TOTAL,
        }),
      ),
    );
    await waitForEventsProcessed(
      stack.sql,
      payments.map((p) => String(p.eventId)),
      'the orders paid',
    );
    return ids;
  }

  /** One round: every order's reservation and second payment at once, and the reservation again. */
  async function race(): Promise<Sent[]> {
    const ids = await paidOrders(ORDERS_PER_ROUND);
    const sent = await Promise.all(
      ids.map(async (orderId): Promise<Sent> => {
        const [reservation, payment] = await Promise.all([
          stack.events.send('inventory_reserved', { orderId, reservationId: `res-${orderId}` }),
          stack.events.send('payment_successful', {
            orderId,
            paymentId: `second-${orderId}`,
            amount: TOTAL,
          }),
        ]);
        await stack.events.send('inventory_reserved', reservation); // the same event again
        return {
          orderId,
          reservation: String(reservation.eventId),
          payment: String(payment.eventId),
        };
      }),
    );
    await waitForEventsProcessed(
      stack.sql,
      sent.flatMap((s) => [s.reservation, s.payment]),
      'every reply of the round processed',
    );
    return sent;
  }

  test(
    'when the reservation and a second payment of an order arrive together at two instances, then each is applied once along a valid path: CONFIRMED, the second payment refunded once',
    async () => {
      const sent: Sent[] = [];
      const appliedBefore = await Promise.all(stack.instances.map(appliedBy));
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const paths = pathCounts(
          await sagaStories(
            stack.sql,
            sent.map((s) => s.orderId),
          ),
        );
        if (round >= MIN_ROUNDS && paths[PAYMENT_FIRST] && paths[RESERVATION_FIRST]) break;
        sent.push(...(await race()));
      }

      const ids = sent.map((s) => s.orderId);
      const stories = await sagaStories(stack.sql, ids);
      expect(violationsOf(stories)).toEqual([]);
      // Both orders of application happened, and nothing else.
      expect(pathCounts(stories)).toEqual({
        [PAYMENT_FIRST]: expect.any(Number),
        [RESERVATION_FIRST]: expect.any(Number),
      });
      // Both instances applied replies.
      const appliedAfter = await Promise.all(stack.instances.map(appliedBy));
      appliedAfter.forEach((after, n) => expect(after).toBeGreaterThan(appliedBefore[n] ?? 0));

      // Each reply took effect once, in one history step; the redelivery in none.
      const { rows: caused } = await stack.sql.query<{ causing_event_id: string; n: number }>(
        `SELECT causing_event_id, count(*)::int AS n FROM order_status_history
         WHERE order_id = ANY($1) AND causing_event_id IS NOT NULL GROUP BY causing_event_id`,
        [ids],
      );
      const stepsOf = new Map(caused.map((row) => [row.causing_event_id, row.n]));
      for (const { reservation, payment } of sent) {
        expect([reservation, stepsOf.get(reservation)]).toEqual([reservation, 1]);
        expect([payment, stepsOf.get(payment)]).toEqual([payment, 1]);
      }
      // The order kept its payment and got its reservation; the second payment went back, once.
      const { rows: orders } = await stack.sql.query<{
        id: string;
        payment_id: string;
        reservation_id: string;
      }>('SELECT id, payment_id, reservation_id FROM orders WHERE id = ANY($1)', [ids]);
      for (const order of orders) {
        expect(order).toEqual({
          id: order.id,
          payment_id: `pay-${order.id}`,
          reservation_id: `res-${order.id}`,
        });
      }
      const refunds = await outboxPayloads(stack.sql, ids, 'refund_payment_request');
      expect(refunds.map((r) => r.order_id).sort()).toEqual([...ids].sort());
      for (const { order_id, payload } of refunds) {
        expect(payload).toMatchObject({ paymentId: `second-${order_id}`, amount: TOTAL });
      }
    },
    MAX_ROUNDS * (2 * ROUND_WAIT_MS + 2_000),
  );
});
