import type { ConsumedTopic } from '../../../src/messaging/topics';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { cancel } from './saga-fixture';
import {
  MAX_ROUNDS,
  ROUND_WAIT_MS,
  TOTAL,
  at,
  outboxPayloads,
  placeOrdersOn,
  raceInRounds,
  waitForEventsProcessed,
  type Aim,
} from './race-support';
import { pathCounts, sagaStories, violationsOf, type SagaStory } from './saga-story';
import { runningService } from '../../support/fixtures/running-service';

const PAIRS_PER_ROUND = 12;
/** Between one order's race and the next one's, so each pair meets on its own. */
const STAGGER_MS = 10;

/** The two races: which reply meets the cancellation, and the two stories either may tell. */
const RACES = {
  payment: {
    reply: 'payment_successful' as ConsumedTopic,
    fields: (orderId: string) => ({ orderId, paymentId: `pay-${orderId}`, amount: TOTAL }),
    replyFirst: '>PENDING PENDING>INVENTORY_RESERVING INVENTORY_RESERVING>CANCELLED',
    cancelFirst: '>PENDING PENDING>CANCELLED CANCELLED>CANCELLED',
  },
  reservation: {
    reply: 'inventory_reserved' as ConsumedTopic,
    fields: (orderId: string) => ({ orderId, reservationId: `res-${orderId}` }),
    replyFirst: '>PENDING PENDING>INVENTORY_RESERVING INVENTORY_RESERVING>CONFIRMED',
    cancelFirst:
      '>PENDING PENDING>INVENTORY_RESERVING INVENTORY_RESERVING>CANCELLED CANCELLED>CANCELLED',
  },
} as const;
type RaceKind = keyof typeof RACES;

interface Raced {
  kind: RaceKind;
  orderId: string;
  eventId: string;
  cancelStatus: number;
  /** When the cancel was sent, after the reply (ms). */
  offset: number;
}

const app = runningService();

/**
 * POST /cancel racing a peer's reply for the same order: sent a few milliseconds apart, around
 * the point where either may be applied first (the reply travels through Kafka, the cancel over
 * HTTP; see raceInRounds).
 */
describe('races: a cancellation against a reply', () => {
  let events: PeerEvents;

  beforeAll(async () => {
    events = await startPeerEvents(
      app.config.KAFKA_BROKERS,
      app.config.SCHEMA_REGISTRY_URL,
      app.config.KAFKA_TOPIC_PREFIX,
    );
  }, 120_000);
  afterAll(async () => {
    await events?.stop();
  });

  /** Orders in the status the race starts from: paid ones for the reservation race. */
  async function ordersFor(kind: RaceKind, count: number): Promise<string[]> {
    const ids = await placeOrdersOn([app.service], count, `race-cancel-${kind}`);
    if (kind === 'reservation') {
      const payments = await Promise.all(
        ids.map((orderId) => events.send('payment_successful', RACES.payment.fields(orderId))),
      );
      await waitForEventsProcessed(
        app.sql,
        payments.map((p) => String(p.eventId)),
        'the orders paid',
      );
    }
    return ids;
  }

  /** One round: each order's reply sent, and its cancel `offset` ms later (center ± spread). */
  async function race(kind: RaceKind, { center, spread }: Aim): Promise<Raced[]> {
    const ids = await ordersFor(kind, PAIRS_PER_ROUND);
    const step = (2 * spread) / (ids.length - 1);
    // Room for a cancel that goes first, before the first reply.
    const start = Date.now() + Math.max(0, spread - center);
    const raced = await Promise.all(
      ids.map(async (orderId, n): Promise<Raced> => {
        const replyAt = start + n * STAGGER_MS;
        const [[sentAt, sent], [cancelledAt, response]] = await Promise.all([
          at(replyAt, () => events.send(RACES[kind].reply, RACES[kind].fields(orderId))),
          at(replyAt + center - spread + n * step, () => cancel(app.url, orderId)),
        ]);
        await response.body?.cancel();
        return {
          kind,
          orderId,
          eventId: String(sent.eventId),
          cancelStatus: response.status,
          offset: cancelledAt - sentAt,
        };
      }),
    );
    await waitForEventsProcessed(
      app.sql,
      raced.map((r) => r.eventId),
      'every reply of the round processed',
    );
    return raced;
  }

  /** Races `kind` in rounds; the cancel is the early side: it wins when sent early enough. */
  async function raceRounds(kind: RaceKind): Promise<{ raced: Raced[]; stories: SagaStory[] }> {
    const raced = await raceInRounds(
      app.sql,
      { center: 30, spread: 120 },
      (aim) => race(kind, aim),
      (story) => story.steps.join(' ') !== RACES[kind].replyFirst,
    );
    return {
      raced,
      stories: await sagaStories(
        app.sql,
        raced.map((r) => r.orderId),
      ),
    };
  }

  /** Per-test timeout: every round may wait for the orders paid, and for its replies. */
  const RACE_TIMEOUT_MS = MAX_ROUNDS * (2 * ROUND_WAIT_MS + 2_000);

  test(
    'when a cancel meets the payment of a PENDING order, then the order is CANCELLED and that payment refunded exactly once, whichever came first',
    async () => {
      const { raced, stories } = await raceRounds('payment');

      expect(violationsOf(stories)).toEqual([]);
      const { replyFirst, cancelFirst } = RACES.payment;
      expect(pathCounts(stories)).toEqual({
        [replyFirst]: expect.any(Number),
        [cancelFirst]: expect.any(Number),
      });
      // Cancelling a PENDING or a paid order always succeeds.
      expect(raced.filter((r) => r.cancelStatus !== 200)).toEqual([]);
      const ids = raced.map((r) => r.orderId);
      const refunds = await outboxPayloads(app.sql, ids, 'refund_payment_request');
      expect(refunds.map((r) => r.order_id).sort()).toEqual([...ids].sort());
      for (const { order_id, payload } of refunds) {
        expect(payload).toMatchObject({ paymentId: `pay-${order_id}`, amount: TOTAL });
      }
      expect((await outboxPayloads(app.sql, ids, 'order_cancelled')).length).toBe(ids.length);
    },
    RACE_TIMEOUT_MS,
  );

  test(
    'when a cancel meets the reservation of a paid order, then it is either CONFIRMED and the cancel refused, or CANCELLED with one refund and one release',
    async () => {
      const { raced, stories } = await raceRounds('reservation');

      expect(violationsOf(stories)).toEqual([]);
      const { replyFirst, cancelFirst } = RACES.reservation;
      expect(pathCounts(stories)).toEqual({
        [replyFirst]: expect.any(Number),
        [cancelFirst]: expect.any(Number),
      });
      // The caller was told the truth: 200 exactly for the cancelled, 409 for the confirmed.
      const statusOf = new Map(stories.map((s) => [s.orderId, s.status]));
      for (const { orderId, cancelStatus } of raced) {
        expect([orderId, cancelStatus]).toEqual([
          orderId,
          statusOf.get(orderId) === 'CANCELLED' ? 200 : 409,
        ]);
      }
      const cancelled = stories.filter((s) => s.status === 'CANCELLED').map((s) => s.orderId);
      const ids = raced.map((r) => r.orderId);
      const refunds = await outboxPayloads(app.sql, ids, 'refund_payment_request');
      expect(refunds.map((r) => r.order_id).sort()).toEqual([...cancelled].sort());
      for (const { order_id, payload } of refunds) {
        expect(payload).toMatchObject({ paymentId: `pay-${order_id}`, amount: TOTAL });
      }
      const releases = await outboxPayloads(app.sql, ids, 'release_inventory_request');
      expect(releases.map((r) => r.order_id).sort()).toEqual([...cancelled].sort());
      for (const { order_id, payload } of releases) {
        expect(payload).toMatchObject({ reservationId: `res-${order_id}` });
      }
    },
    RACE_TIMEOUT_MS,
  );
});
