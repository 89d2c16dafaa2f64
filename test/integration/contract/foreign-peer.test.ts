import { cancel, orderOfAmount, outboxOf, placeOrder, waitForStatus } from '../saga/saga-fixture';
import {
  startForeignPeers,
  type ForeignPeers,
  type ForeignRequest,
} from '../../support/foreign-peer';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

// Started first: it creates the topics the peers subscribe to.
const app = runningService();

/**
 * The saga with payment and inventory services written by other teams against the documented
 * contract (test/support/foreign-peer.ts): records named com.acme.payments.events.* and
 * org.stockroom.avro.*, fields in another order, fields of their own, schemas registered by them.
 * Every path of the saga must complete.
 *
 * Their rules: an amount ending in 13 is declined, one ending in 77 is captured one cent short;
 * a product `oos-…` is out of stock; orders in `held` get no payment reply until the test sends
 * it; refunds are confirmed.
 */
describe('contract: peers built by other teams, with their own schemas', () => {
  let peers: ForeignPeers;
  const held = new Set<string>();

  const answer = ({ topic, value }: ForeignRequest) => {
    const orderId = String(value.orderId);
    switch (topic) {
      case 'process_payment_request': {
        const amount = Number(value.amount);
        if (held.has(orderId)) return null;
        if (amount % 100 === 13) {
          return {
            topic: 'payment_failed' as const,
            fields: { orderId, reason: 'card declined', declineCode: '05' },
          };
        }
        return {
          topic: 'payment_successful' as const,
          fields: {
            orderId,
            paymentId: `acme-${orderId}`,
            amount: amount % 100 === 77 ? amount - 1 : amount,
            currency: value.currency,
            processor: 'acquirer-1',
          },
        };
      }
      case 'refund_payment_request':
        return {
          topic: 'payment_refunded' as const,
          fields: { orderId, paymentId: value.paymentId, refundId: `r-${value.eventId}` },
        };
      case 'reserve_inventory_request': {
        const items = value.items as { productId: string }[];
        const missing = items.find((item) => item.productId.startsWith('oos-'));
        return missing
          ? {
              topic: 'inventory_reservation_failed' as const,
              fields: { orderId, reason: 'out of stock', missingSku: missing.productId },
            }
          : {
              topic: 'inventory_reserved' as const,
              fields: { orderId, reservationId: `stock-${orderId}`, warehouse: 'north' },
            };
      }
      case 'release_inventory_request':
        return null;
    }
  };

  beforeAll(async () => {
    peers = await startForeignPeers({
      brokers: app.config.KAFKA_BROKERS,
      registryUrl: app.config.SCHEMA_REGISTRY_URL,
      topicPrefix: app.config.KAFKA_TOPIC_PREFIX,
      answer,
    });
  });
  afterAll(async () => {
    await peers?.stop();
  });

  const requestsOf = (orderId: string, topic: ForeignRequest['topic']) =>
    peers.requests.filter((r) => r.topic === topic && r.value.orderId === orderId);

  test('when payment and reservation succeed, then the order is CONFIRMED with the peer’s payment', async () => {
    const order = await placeOrder(app.url);

    const done = await waitForStatus(app.url, order.id, 'CONFIRMED');

    expect(done.history.map((h) => h.to)).toEqual(['PENDING', 'INVENTORY_RESERVING', 'CONFIRMED']);
    const { rows } = await app.sql.query(
      'SELECT payment_id, reservation_id FROM orders WHERE id = $1',
      [order.id],
    );
    expect(rows[0]).toEqual({
      payment_id: `acme-${order.id}`,
      reservation_id: `stock-${order.id}`,
    });
  });

  test('when the payment is declined, then the order FAILED with the peer’s reason', async () => {
    const order = await placeOrder(app.url, orderOfAmount(2_513));

    const failed = await waitForStatus(app.url, order.id, 'FAILED');

    expect(failed.failureReason).toBe('payment failed: card declined');
  });

  test('when an item is out of stock, then the payment is refunded and the order FAILED', async () => {
    const order = await placeOrder(app.url, orderOfAmount(4_200, 'oos-espresso'));

    const failed = await waitForStatus(app.url, order.id, 'FAILED');

    expect(failed.history.map((h) => h.to)).toEqual([
      'PENDING',
      'INVENTORY_RESERVING',
      'COMPENSATING',
      'FAILED',
    ]);
    expect(requestsOf(order.id, 'refund_payment_request').map((r) => r.value)).toEqual([
      expect.objectContaining({ paymentId: `acme-${order.id}`, amount: 4_200, currency: 'EUR' }),
    ]);
  });

  test('when the payment is one cent short, then the order is not confirmed and exactly what was taken is refunded', async () => {
    const order = await placeOrder(app.url, orderOfAmount(3_077));

    const failed = await waitForStatus(app.url, order.id, 'FAILED');

    expect(failed.failureReason).toBe('payment-amount-mismatch');
    await waitFor(() => requestsOf(order.id, 'refund_payment_request').length === 1, {
      message: 'the refund request at the payment peer',
    });
    expect(requestsOf(order.id, 'refund_payment_request')[0]?.value).toMatchObject({
      paymentId: `acme-${order.id}`,
      amount: 3_076,
      currency: 'EUR',
    });
    expect(requestsOf(order.id, 'reserve_inventory_request')).toEqual([]);
  });

  test('when the customer cancels before the payment peer answers, then the order is CANCELLED and nothing is charged', async () => {
    const order = await placeOrder(app.url, orderOfAmount(1_500));
    held.add(order.id);

    expect((await cancel(app.url, order.id)).status).toBe(200);

    await waitForStatus(app.url, order.id, 'CANCELLED');
    await waitFor(() => requestsOf(order.id, 'process_payment_request').length === 1, {
      message: 'the payment request at the payment peer',
    });
    expect((await outboxOf(app, order.id)).map((row) => row.topic)).toEqual([
      'process_payment_request',
      'order_cancelled',
    ]);
  });

  test('when the payment arrives after the order was cancelled, then it is refunded and the order stays CANCELLED', async () => {
    const order = await placeOrder(app.url, orderOfAmount(1_800));
    held.add(order.id);
    await waitFor(() => requestsOf(order.id, 'process_payment_request').length === 1, {
      message: 'the payment request at the payment peer',
    });
    expect((await cancel(app.url, order.id)).status).toBe(200);

    await peers.reply('payment_successful', {
      orderId: order.id,
      paymentId: `late-${order.id}`,
      amount: 1_800,
      currency: 'EUR',
      processor: null,
    });

    await waitFor(() => requestsOf(order.id, 'refund_payment_request').length === 1, {
      message: 'the refund of the late payment',
    });
    expect(requestsOf(order.id, 'refund_payment_request')[0]?.value).toMatchObject({
      paymentId: `late-${order.id}`,
      amount: 1_800,
      currency: 'EUR',
    });
    const detail = await waitForStatus(app.url, order.id, 'CANCELLED');
    expect(detail.history.map((h) => h.to)).toEqual(['PENDING', 'CANCELLED', 'CANCELLED']);
  });
});
