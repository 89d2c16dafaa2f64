import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { waitFor } from '../../support/wait-for';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const ORDERS = 30;

/** Orders moved on by one instance's sweeper, whatever status they timed out in. */
async function expiredBy(service: RunningService): Promise<number> {
  const { values } = await service.metrics.deadlinesExpired.get();
  return values.reduce((sum, { value }) => sum + value, 0);
}

/** Replies both instances recognised as already applied. */
async function duplicatesOf(service: RunningService): Promise<number> {
  const { values } = await service.metrics.sagaEvents.get();
  return values
    .filter(({ labels }) => labels.outcome === 'duplicate')
    .reduce((sum, { value }) => sum + value, 0);
}

const database = freshDatabase();

describe('step deadlines with two instances sweeping the same database', () => {
  let config: Config;
  const instances: RunningService[] = [];
  let events: PeerEvents;

  beforeAll(async () => {
    // Both instances: one database, one topic set, one consumer group, sweeping every 10 ms.
    config = testConfig({
      DATABASE_URL: database.url,
      SAGA_PAYMENT_TIMEOUT_MS: '4000',
      SAGA_INVENTORY_TIMEOUT_MS: '1000',
      SAGA_SWEEP_INTERVAL_MS: '10',
    });
    // One after the other, as in a rolling start: two members joining a new group at the same
    // instant sometimes crash one consumer on the mock broker (a SyncGroup protocol error).
    const starting = startPeerEvents(
      config.KAFKA_BROKERS,
      config.SCHEMA_REGISTRY_URL,
      config.KAFKA_TOPIC_PREFIX,
    );
    instances.push(await startJoinedOrderService(config));
    instances.push(await startJoinedOrderService(config));
    events = await starting;
  });
  afterAll(async () => {
    await events?.stop();
    await Promise.allSettled(instances.map((instance) => instance.stop()));
  });

  const duplicatesSeen = async () =>
    (await Promise.all(instances.map(duplicatesOf))).reduce((sum, n) => sum + n, 0);

  /** Places `count` orders, alternating between the instances. */
  async function placeOrders(count: number, customerId: string): Promise<string[]> {
    const ids: string[] = [];
    for (let n = 0; n < count; n++) {
      const instance = instances[n % instances.length] as RunningService;
      const response = await postOrder(instance.http.url, aValidOrder({ customerId }));
      ids.push((await readJson(response)).id);
    }
    return ids;
  }

  /** Waits until every order has `status`; on timeout, says where the orders are instead. */
  async function waitForAll(ids: string[], status: string): Promise<void> {
    let seen = '';
    try {
      await waitFor(
        async () => {
          const { rows } = await database.sql.query<{ status: string; n: number }>(
            'SELECT status, count(*)::int AS n FROM orders WHERE id = ANY($1) GROUP BY status',
            [ids],
          );
          seen = rows.map((row) => `${row.n} ${row.status}`).join(', ');
          return rows.length === 1 && rows[0]?.status === status;
        },
        { timeoutMs: 20_000 },
      );
    } catch {
      throw new Error(`expected all ${ids.length} orders ${status}; they are: ${seen}`);
    }
  }

  async function countWhere(query: string, ids: string[]): Promise<Map<string, number>> {
    const { rows } = await database.sql.query<{ order_id: string; n: number }>(query, [ids]);
    return new Map(rows.map((row) => [row.order_id, row.n]));
  }

  test('when payment deadlines pass while both instances sweep, then each order fails exactly once', async () => {
    const [a, b] = instances as [RunningService, RunningService];
    // The instances' counters hold what earlier tests expired too: count from here.
    const expiredBefore = (await expiredBy(a)) + (await expiredBy(b));
    const ids = await placeOrders(ORDERS, 'deadline-payment');

    await waitForAll(ids, 'FAILED');

    const timeouts = await countWhere(
      `SELECT order_id, count(*)::int AS n FROM order_status_history
       WHERE order_id = ANY($1) AND from_status = 'PENDING' AND to_status = 'FAILED'
       GROUP BY order_id`,
      ids,
    );
    const failures = await countWhere(
      `SELECT order_id, count(*)::int AS n FROM outbox
       WHERE order_id = ANY($1) AND topic = 'order_failed' GROUP BY order_id`,
      ids,
    );
    for (const id of ids) {
      expect(timeouts.get(id)).toBe(1);
      expect(failures.get(id)).toBe(1);
    }
    expect((await expiredBy(a)) + (await expiredBy(b)) - expiredBefore).toBe(ORDERS);
  });

  test('when inventory deadlines pass while both instances sweep, then each order is compensated exactly once', async () => {
    const [a, b] = instances as [RunningService, RunningService];
    const expiredBefore = (await expiredBy(a)) + (await expiredBy(b));
    const ids = await placeOrders(10, 'deadline-inventory');
    for (const orderId of ids) {
      await events.send('payment_successful', {
        orderId,
        paymentId: `pay-${orderId}`,
        amount: 5_048,
      });
    }

    await waitForAll(ids, 'COMPENSATING');

    const timeouts = await countWhere(
      `SELECT order_id, count(*)::int AS n FROM order_status_history
       WHERE order_id = ANY($1) AND to_status = 'COMPENSATING' GROUP BY order_id`,
      ids,
    );
    const refunds = await countWhere(
      `SELECT order_id, count(*)::int AS n FROM outbox
       WHERE order_id = ANY($1) AND topic = 'refund_payment_request' GROUP BY order_id`,
      ids,
    );
    for (const id of ids) {
      expect(timeouts.get(id)).toBe(1);
      expect(refunds.get(id)).toBe(1);
    }
    expect((await expiredBy(a)) + (await expiredBy(b)) - expiredBefore).toBe(ids.length);
  });

  test('when a payment arrives after the payment deadline, then the order stays FAILED and that payment is refunded once, even when redelivered', async () => {
    const [orderId] = (await placeOrders(1, 'deadline-late-payment')) as [string];
    await waitForAll([orderId], 'FAILED');
    const duplicatesBefore = await duplicatesSeen();

    const payment = { orderId, paymentId: 'pay-late', amount: 5_048 };
    const sent = await events.send('payment_successful', payment);
    await events.send('payment_successful', { ...payment, eventId: sent.eventId });

    await waitFor(async () => (await duplicatesSeen()) > duplicatesBefore, {
      timeoutMs: 20_000,
      message: 'the redelivered payment seen as a duplicate',
    });
    const { rows: refunds } = await database.sql.query(
      `SELECT payload FROM outbox WHERE order_id = $1 AND topic = 'refund_payment_request'`,
      [orderId],
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0].payload).toMatchObject({ paymentId: 'pay-late', amount: 5_048 });
    const { rows: order } = await database.sql.query('SELECT status FROM orders WHERE id = $1', [
      orderId,
    ]);
    expect(order[0].status).toBe('FAILED');
  });

  test('when both sweepers are called at the same instant for the same due orders, then only one acts on each', async () => {
    const ids = await placeOrders(10, 'deadline-race');
    const [a, b] = instances as [RunningService, RunningService];
    const later = new Date(Date.now() + 60_000);

    // Both claim the same due orders at once (their own loops keep sweeping too).
    const moved = await Promise.all([
      a.sweeper.sweepOnce(later),
      b.sweeper.sweepOnce(later),
      a.sweeper.sweepOnce(later),
      b.sweeper.sweepOnce(later),
    ]);

    expect(moved.reduce((sum, n) => sum + n, 0)).toBe(ids.length);
    const timeouts = await countWhere(
      `SELECT order_id, count(*)::int AS n FROM order_status_history
       WHERE order_id = ANY($1) AND to_status = 'FAILED' GROUP BY order_id`,
      ids,
    );
    for (const id of ids) expect(timeouts.get(id)).toBe(1);
  });
});
