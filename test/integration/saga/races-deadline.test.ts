import type { ConsumedTopic } from '../../../src/messaging/topics';
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

/** The step deadline being raced; the other step's is long enough never to pass in the test. */
const STEP_TIMEOUT_MS = 2_000;
const NEVER_MS = '600000';
const ORDERS_PER_ROUND = 30;

const PAID = '>PENDING PENDING>INVENTORY_RESERVING';
const payment = (orderId: string) => ({ orderId, paymentId: `pay-${orderId}`, amount: TOTAL });

/**
 * Per step: the reply that races its deadline, the two stories either may tell, and what the
 * sweeper's story owes: each event exactly once for exactly the orders the sweeper won.
 */
const STEPS = {
  payment: {
    env: { SAGA_PAYMENT_TIMEOUT_MS: String(STEP_TIMEOUT_MS), SAGA_INVENTORY_TIMEOUT_MS: NEVER_MS },
    reply: 'payment_successful' as ConsumedTopic,
    fields: payment,
    replyWon: PAID,
    sweeperWon: '>PENDING PENDING>FAILED FAILED>FAILED',
    // The late payment, refunded.
    owed: [['refund_payment_request', (id: string) => ({ paymentId: `pay-${id}`, amount: TOTAL })]],
  },
  inventory: {
    env: { SAGA_PAYMENT_TIMEOUT_MS: NEVER_MS, SAGA_INVENTORY_TIMEOUT_MS: String(STEP_TIMEOUT_MS) },
    reply: 'inventory_reserved' as ConsumedTopic,
    fields: (orderId: string) => ({ orderId, reservationId: `res-${orderId}` }),
    replyWon: `${PAID} INVENTORY_RESERVING>CONFIRMED`,
    sweeperWon: `${PAID} INVENTORY_RESERVING>COMPENSATING COMPENSATING>COMPENSATING`,
    // The payment refunded by the sweeper, and the late reservation released.
    owed: [
      ['refund_payment_request', (id: string) => ({ paymentId: `pay-${id}`, amount: TOTAL })],
      ['release_inventory_request', (id: string) => ({ reservationId: `res-${id}` })],
    ],
  },
} as const;
type Step = keyof typeof STEPS;

interface Raced {
  orderId: string;
  eventId: string;
  /** When the reply was sent, after the order's step deadline (ms). */
  offset: number;
}

/**
 * A peer's reply against the deadline sweeper, on two instances that both sweep every 10 ms:
 * each order's reply is sent to land around the moment its step deadline passes, so the reply's
 * transaction and a sweeper's meet on the same order (see raceInRounds).
 */
describe.each(Object.keys(STEPS) as Step[])(
  'races: the %s reply against the deadline sweeper',
  (step) => {
    const { env, reply, fields, replyWon, sweeperWon, owed } = STEPS[step];
    let stack: TwoInstances;

    beforeAll(async () => {
      stack = await startTwoInstances({ ...env, SAGA_SWEEP_INTERVAL_MS: '10' });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    });

    /** Orders waiting on the step, and their deadlines; paid first for the inventory step. */
    async function waitingOrders(): Promise<{ id: string; step_deadline_at: Date }[]> {
      const ids = await placeOrdersOn(stack.instances, ORDERS_PER_ROUND, `race-${step}`);
      if (step === 'inventory') {
        const paid = await Promise.all(
          ids.map((id) => stack.events.send('payment_successful', payment(id))),
        );
        await waitForEventsProcessed(
          stack.sql,
          paid.map((p) => String(p.eventId)),
          'the orders paid',
        );
      }
      const { rows } = await stack.sql.query<{ id: string; step_deadline_at: Date }>(
        'SELECT id, step_deadline_at FROM orders WHERE id = ANY($1) ORDER BY step_deadline_at',
        [ids],
      );
      return rows;
    }

    /** One round: each order's reply sent at its deadline plus an offset in center ± spread. */
    async function race({ center, spread }: Aim): Promise<Raced[]> {
      const orders = await waitingOrders();
      const gap = (2 * spread) / (orders.length - 1);
      const raced = await Promise.all(
        orders.map(async ({ id, step_deadline_at }, n): Promise<Raced> => {
          const deadline = step_deadline_at.getTime();
          const [sentAt, sent] = await at(deadline + center - spread + n * gap, () =>
            stack.events.send(reply, fields(id)),
          );
          return { orderId: id, eventId: String(sent.eventId), offset: sentAt - deadline };
        }),
      );
      await waitForEventsProcessed(
        stack.sql,
        raced.map((r) => r.eventId),
        'every reply of the round processed',
      );
      return raced;
    }

    test(
      `when ${step} replies land as their deadlines pass, then each order tells one story, and the sweeper's owe each compensation exactly once`,
      async () => {
        // The reply is the early side: it wins when sent early enough.
        const raced = await raceInRounds(
          stack.sql,
          { center: -100, spread: 300 },
          race,
          (story) => story.steps.join(' ') === replyWon,
        );

        const ids = raced.map((r) => r.orderId);
        const stories = await sagaStories(stack.sql, ids);
        expect(violationsOf(stories)).toEqual([]);
        // Both interleavings happened, and no other.
        expect(pathCounts(stories)).toEqual({
          [replyWon]: expect.any(Number),
          [sweeperWon]: expect.any(Number),
        });
        const sweepers = stories.filter((s) => s.steps.join(' ') === sweeperWon);
        const swept = sweepers.map((s) => s.orderId).sort();
        for (const [topic, payloadOf] of owed) {
          const rows = await outboxPayloads(stack.sql, ids, topic);
          expect([topic, rows.map((r) => r.order_id).sort()]).toEqual([topic, swept]);
          for (const { order_id, payload } of rows) {
            expect(payload).toMatchObject(payloadOf(order_id));
          }
        }
        // Each reply applied once: as the order's when it won, undone when it lost.
        const { rows: processed } = await stack.sql.query<{ order_id: string; outcome: string }>(
          'SELECT order_id, outcome FROM processed_events WHERE event_id = ANY($1)',
          [raced.map((r) => r.eventId)],
        );
        const outcomeOf = new Map(processed.map((p) => [p.order_id, p.outcome]));
        for (const { orderId } of stories) {
          expect([orderId, outcomeOf.get(orderId)]).toEqual([
            orderId,
            swept.includes(orderId) ? 'compensated' : 'applied',
          ]);
        }
      },
      MAX_ROUNDS * (STEP_TIMEOUT_MS + 2 * ROUND_WAIT_MS + 2_000),
    );
  },
);
