import { randomUUID } from 'node:crypto';
import {
  cancel,
  orderDetail,
  outboxOf,
  placeOrder,
  processedOf,
  recordsOf,
  sagaEventCounts,
  steps,
  waitForProcessed,
  waitForRecords,
  waitForStatus,
  runningSaga,
} from './saga-fixture';

describe('out-of-order and late events', () => {
  // A short inventory deadline for the late-reservation case; payment keeps its long one.
  const saga = runningSaga({
    env: { SAGA_INVENTORY_TIMEOUT_MS: '1500', SAGA_SWEEP_INTERVAL_MS: '100' },
  });

  test('when inventory_reserved arrives before payment_successful, then it is ignored and the order still waits for payment', async () => {
    const order = await placeOrder(saga.app.url, { customerId: 'early-reservation' });

    const early = await saga.events.send('inventory_reserved', {
      orderId: order.id,
      reservationId: 'res-early',
    });

    expect(await waitForProcessed(saga.app, String(early.eventId))).toBe('ignored');
    const detail = await orderDetail(saga.app.url, order.id);
    expect(detail.status).toBe('PENDING');
    expect(steps(detail)).toEqual(['>PENDING']);
    expect((await outboxOf(saga.app, order.id)).map((row) => row.topic)).toEqual([
      'process_payment_request',
    ]);
    expect(
      (await sagaEventCounts(saga.app.adminUrl))['inventory_reserved/ignored'],
    ).toBeGreaterThan(0);

    // The early reservation did not count: payment moves the order on to reserving, not further.
    const payment = await saga.events.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-early',
      amount: order.totalAmount,
    });
    expect(await waitForProcessed(saga.app, String(payment.eventId))).toBe('applied');
    const after = await orderDetail(saga.app.url, order.id);
    expect(steps(after).slice(0, 2)).toEqual(['>PENDING', 'PENDING>INVENTORY_RESERVING']);
    expect(after.status).not.toBe('CONFIRMED');
  });

  test('when payment_successful arrives after the order was cancelled, then the late payment is refunded and the order stays CANCELLED', async () => {
    const order = await placeOrder(saga.app.url, { customerId: 'late-payment' });
    expect((await cancel(saga.app.url, order.id)).status).toBe(200);

    const late = await saga.events.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-late',
      amount: order.totalAmount,
    });

    expect(await waitForProcessed(saga.app, String(late.eventId))).toBe('compensated');
    const [refund] = await waitForRecords(saga.reader, order.id, 'refund_payment_request');
    expect(refund?.key).toBe(order.id);
    expect(refund?.value).toMatchObject({
      orderId: order.id,
      paymentId: 'pay-late',
      amount: order.totalAmount,
      currency: 'EUR',
    });
    const detail = await orderDetail(saga.app.url, order.id);
    expect(detail.status).toBe('CANCELLED');
    expect(steps(detail)).toEqual(['>PENDING', 'PENDING>CANCELLED', 'CANCELLED>CANCELLED']);
    expect(detail.history[2].causingEventId).toBe(late.eventId);
  });

  test('when inventory_reserved arrives after the inventory deadline, then the late reservation is released', async () => {
    const order = await placeOrder(saga.app.url, { customerId: 'late-reservation' });
    await saga.events.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-slow-stock',
      amount: order.totalAmount,
    });
    await waitForStatus(saga.app.url, order.id, 'COMPENSATING'); // the inventory deadline passed

    const late = await saga.events.send('inventory_reserved', {
      orderId: order.id,
      reservationId: 'res-late',
    });

    expect(await waitForProcessed(saga.app, String(late.eventId))).toBe('compensated');
    const [release] = await waitForRecords(saga.reader, order.id, 'release_inventory_request');
    expect(release?.key).toBe(order.id);
    expect(release?.value).toMatchObject({ orderId: order.id, reservationId: 'res-late' });
    expect(release?.value.reason).toEqual(expect.any(String));
    const detail = await orderDetail(saga.app.url, order.id);
    expect(detail.status).toBe('COMPENSATING');
    expect(steps(detail)).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>COMPENSATING',
      'COMPENSATING>COMPENSATING',
    ]);
    const outboxTopics = (await outboxOf(saga.app, order.id)).map((row) => row.topic);
    expect(outboxTopics.filter((t) => t === 'refund_payment_request')).toHaveLength(1);
    expect(outboxTopics.filter((t) => t === 'release_inventory_request')).toHaveLength(1);
  });

  test('when payment_successful is redelivered with a new eventId but the same paymentId after FAILED, then it is ignored and nothing is refunded twice', async () => {
    const order = await placeOrder(saga.app.url, { customerId: 'replayed-payment' });
    const payment = { orderId: order.id, paymentId: 'pay-once', amount: order.totalAmount };
    const paid = await saga.events.send('payment_successful', payment);
    // (Not waiting for INVENTORY_RESERVING: the 1.5 s inventory deadline may end it first.)
    await waitForProcessed(saga.app, String(paid.eventId));
    await saga.events.send('inventory_reservation_failed', {
      orderId: order.id,
      reason: 'out of stock',
    });
    await waitForStatus(saga.app.url, order.id, 'COMPENSATING');
    await saga.events.send('payment_refunded', { orderId: order.id, paymentId: 'pay-once' });
    const failed = await waitForStatus(saga.app.url, order.id, 'FAILED');

    const replay = await saga.events.send('payment_successful', {
      ...payment,
      eventId: randomUUID(),
    });

    expect(await waitForProcessed(saga.app, String(replay.eventId))).toBe('ignored');
    const detail = await orderDetail(saga.app.url, order.id);
    expect(detail.status).toBe('FAILED');
    expect(detail.history).toHaveLength(failed.history.length);
    const refunds = (await outboxOf(saga.app, order.id)).filter(
      (row) => row.topic === 'refund_payment_request',
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0]?.payload.paymentId).toBe('pay-once');
    await waitForRecords(saga.reader, order.id, 'order_failed');
    const refundIds = new Set(
      recordsOf(saga.reader, order.id, 'refund_payment_request').map((r) => r.value.eventId),
    );
    expect(refundIds.size).toBe(1);
    const payments = (await processedOf(saga.app, order.id)).filter(
      (row) => row.topic === 'payment_successful',
    );
    expect(payments.map((row) => row.outcome)).toEqual(['applied', 'ignored']);
  });
});
