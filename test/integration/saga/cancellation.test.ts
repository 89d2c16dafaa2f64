import { randomUUID } from 'node:crypto';
import { readJson } from '../../support/order-service-harness';
import {
  cancel,
  orderDetail,
  outboxOf,
  placeOrder,
  steps,
  waitForRecords,
  waitForStatus,
  runningSaga,
} from './saga-fixture';

describe('cancellation via POST /api/v1/orders/:id/cancel', () => {
  const saga = runningSaga();

  /** Places an order and drives it with exact replies until it has `status`. */
  async function anOrderIn(status: string): Promise<{ id: string; totalAmount: number }> {
    const order = await placeOrder(saga.app.url, { customerId: `cancel-${status.toLowerCase()}` });
    const { events, app } = saga;
    const orderId = order.id;
    if (status === 'PENDING') return order;
    if (status === 'CANCELLED') {
      expect((await cancel(app.url, orderId)).status).toBe(200);
      return order;
    }
    if (status === 'FAILED') {
      await events.send('payment_failed', { orderId, reason: 'card declined' });
      await waitForStatus(app.url, orderId, 'FAILED');
      return order;
    }
    await events.send('payment_successful', {
      orderId,
      paymentId: `pay-${orderId}`,
      amount: order.totalAmount,
    });
    await waitForStatus(app.url, orderId, 'INVENTORY_RESERVING');
    if (status === 'INVENTORY_RESERVING') return order;
    if (status === 'CONFIRMED') {
      await events.send('inventory_reserved', { orderId, reservationId: `res-${orderId}` });
    } else {
      await events.send('inventory_reservation_failed', { orderId, reason: 'out of stock' });
    }
    await waitForStatus(app.url, orderId, status);
    return order;
  }

  const topicsOf = async (orderId: string) =>
    (await outboxOf(saga.app, orderId)).map((row) => row.topic);

  test('when a PENDING order is cancelled with a reason, then it is CANCELLED, order_cancelled carries the reason and nothing is refunded', async () => {
    const order = await anOrderIn('PENDING');

    const response = await cancel(saga.app.url, order.id, { reason: 'ordered by mistake' });

    expect(response.status).toBe(200);
    const body = await readJson(response);
    expect(body).toMatchObject({
      id: order.id,
      status: 'CANCELLED',
      failureReason: 'cancelled: ordered by mistake',
    });
    expect(steps(await orderDetail(saga.app.url, order.id))).toEqual([
      '>PENDING',
      'PENDING>CANCELLED',
    ]);
    const [cancelled] = await waitForRecords(saga.reader, order.id, 'order_cancelled');
    expect(cancelled?.key).toBe(order.id);
    expect(cancelled?.value).toMatchObject({
      orderId: order.id,
      reason: 'cancelled: ordered by mistake',
    });
    expect(await topicsOf(order.id)).toEqual(['process_payment_request', 'order_cancelled']);
  });

  test('when an INVENTORY_RESERVING order is cancelled, then order_cancelled and a refund of the payment are emitted', async () => {
    const order = await anOrderIn('INVENTORY_RESERVING');

    const response = await cancel(saga.app.url, order.id);

    expect(response.status).toBe(200);
    expect((await readJson(response)).status).toBe('CANCELLED');
    expect(await topicsOf(order.id)).toEqual([
      'process_payment_request',
      'reserve_inventory_request',
      'order_cancelled',
      'refund_payment_request',
    ]);
    const [cancelled] = await waitForRecords(saga.reader, order.id, 'order_cancelled');
    const [refund] = await waitForRecords(saga.reader, order.id, 'refund_payment_request');
    expect(cancelled?.value.reason).toBe('cancelled: cancelled by the customer');
    expect(refund?.key).toBe(order.id);
    expect(refund?.value).toMatchObject({
      orderId: order.id,
      paymentId: `pay-${order.id}`,
      amount: order.totalAmount,
      currency: 'EUR',
      reason: 'cancelled: cancelled by the customer',
    });
  });

  test('when a COMPENSATING order is cancelled, then it is CANCELLED with order_cancelled and no second refund', async () => {
    const order = await anOrderIn('COMPENSATING');

    const response = await cancel(saga.app.url, order.id, { reason: 'no longer needed' });

    expect(response.status).toBe(200);
    expect(steps(await orderDetail(saga.app.url, order.id))).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>COMPENSATING',
      'COMPENSATING>CANCELLED',
    ]);
    const topics = await topicsOf(order.id);
    expect(topics.filter((t) => t === 'refund_payment_request')).toHaveLength(1);
    expect(topics.at(-1)).toBe('order_cancelled');
    const [cancelled] = await waitForRecords(saga.reader, order.id, 'order_cancelled');
    expect(cancelled?.value.reason).toBe('cancelled: no longer needed');
  });

  test.each(['CONFIRMED', 'FAILED', 'CANCELLED'])(
    'when a %s order is cancelled, then 409 names its current status and nothing changes',
    async (status) => {
      const order = await anOrderIn(status);
      const before = await orderDetail(saga.app.url, order.id);
      const outboxBefore = await topicsOf(order.id);

      const response = await cancel(saga.app.url, order.id, { reason: 'too late' });

      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await readJson(response)).toMatchObject({
        type: '/problems/order-not-cancellable',
        status: 409,
        currentStatus: status,
      });
      const after = await orderDetail(saga.app.url, order.id);
      expect(after.status).toBe(status);
      expect(after.history).toHaveLength(before.history.length);
      expect(after.version).toBe(before.version);
      expect(await topicsOf(order.id)).toEqual(outboxBefore);
    },
  );

  test('when the order id is unknown, then 404', async () => {
    const response = await cancel(saga.app.url, randomUUID());

    expect(response.status).toBe(404);
    expect(await readJson(response)).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  test('when the order id is not a UUID, then 400 and the id is named', async () => {
    const response = await cancel(saga.app.url, 'not-a-uuid');

    expect(response.status).toBe(400);
    expect(await readJson(response)).toMatchObject({
      type: '/problems/validation',
      status: 400,
      detail: 'The order id is not valid',
    });
  });

  test.each([
    ['a reason that is not a string', { reason: 42 }, 'validation'],
    ['an unknown field', { because: 'x' }, 'validation'],
    ['an empty reason', { reason: '   ' }, 'validation'],
    ['an array instead of an object', ['please'], 'validation'],
    ['text that is not JSON', '{reason: please}', 'malformed-json'],
  ])('when the body has %s, then 400 and the order stays PENDING', async (_what, body, problem) => {
    const order = await anOrderIn('PENDING');

    const response = await cancel(saga.app.url, order.id, body);

    expect(response.status).toBe(400);
    expect(await readJson(response)).toMatchObject({ type: `/problems/${problem}`, status: 400 });
    const after = await orderDetail(saga.app.url, order.id);
    expect(after.status).toBe('PENDING');
    expect(await topicsOf(order.id)).toEqual(['process_payment_request']);
  });
});
