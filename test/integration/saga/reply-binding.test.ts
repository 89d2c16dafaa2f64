import { Writable } from 'node:stream';
import winston from 'winston';
import {
  orderDetail,
  outboxOf,
  placeOrder,
  recordsOf,
  sagaEventCounts,
  steps,
  waitForProcessed,
  waitForRecords,
  waitForStatus,
  type SagaFixture,
  runningSaga,
} from './saga-fixture';

/**
 * Replies are bound to the order they name: a payment must take the order's total in its
 * currency, a refund must be of the order's payment, and every payment an order has seen is
 * remembered so a refund is never lost and never doubled.
 */
describe('replies bound to their order', () => {
  const saga = runningSaga();
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    captureLogs(saga, logs);
  });

  async function effects(orderId: string) {
    const { rows } = await saga.app.sql.query(
      `SELECT kind::text, reference, amount::int, currency FROM order_effects
       WHERE order_id = $1 ORDER BY received_at, reference`,
      [orderId],
    );
    return rows;
  }

  test.each([
    ['underpaid', (total: number) => ({ amount: total - 1 }), 'EUR'],
    ['paid in another currency', (total: number) => ({ amount: total, currency: 'USD' }), 'USD'],
  ])(
    'when an order is %s, then it is not confirmed: exactly that payment is refunded and the order fails as payment-amount-mismatch',
    async (_case, paid, refundCurrency) => {
      const order = await placeOrder(saga.app.url);
      const taken = paid(order.totalAmount);

      const payment = await saga.events.send('payment_successful', {
        orderId: order.id,
        paymentId: `pay-${_case}`,
        ...taken,
      });

      const failed = await waitForStatus(saga.app.url, order.id, 'FAILED');
      expect(failed.failureReason).toBe('payment-amount-mismatch');
      expect(steps(failed)).toEqual(['>PENDING', 'PENDING>FAILED']);
      expect(failed.history[1]).toMatchObject({ causingEventId: payment.eventId });
      const [refund] = await waitForRecords(saga.reader, order.id, 'refund_payment_request');
      expect(refund?.value).toMatchObject({
        orderId: order.id,
        paymentId: `pay-${_case}`,
        amount: taken.amount,
        currency: refundCurrency,
        reason: 'payment-amount-mismatch',
      });
      await waitForRecords(saga.reader, order.id, 'order_failed');
      expect(recordsOf(saga.reader, order.id, 'reserve_inventory_request')).toEqual([]);
      expect(await effects(order.id)).toEqual([
        {
          kind: 'payment',
          reference: `pay-${_case}`,
          amount: taken.amount,
          currency: refundCurrency,
        },
      ]);
    },
  );

  test('when a refund names a payment the order did not use, then a COMPENSATING order stays, and the reply is ignored, counted and logged at warn', async () => {
    const order = await placeOrder(saga.app.url);
    await saga.events.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-own',
      amount: order.totalAmount,
    });
    await waitForStatus(saga.app.url, order.id, 'INVENTORY_RESERVING');
    await saga.events.send('inventory_reservation_failed', { orderId: order.id, reason: 'none' });
    await waitForStatus(saga.app.url, order.id, 'COMPENSATING');
    const ignoredBefore =
      (await sagaEventCounts(saga.app.adminUrl))['payment_refunded/ignored'] ?? 0;

    const foreign = await saga.events.send('payment_refunded', {
      orderId: order.id,
      paymentId: 'pay-someone-else',
    });

    expect(await waitForProcessed(saga.app, String(foreign.eventId))).toBe('ignored');
    expect((await orderDetail(saga.app.url, order.id)).status).toBe('COMPENSATING');
    expect((await sagaEventCounts(saga.app.adminUrl))['payment_refunded/ignored']).toBe(
      ignoredBefore + 1,
    );
    expect(logs.filter((line) => line.eventId === foreign.eventId)).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'saga event ignored',
        reason: "payment_refunded names payment pay-someone-else, not the order's pay-own",
      }),
    ]);

    // The refund of its own payment still completes the compensation.
    await saga.events.send('payment_refunded', { orderId: order.id, paymentId: 'pay-own' });
    await waitForStatus(saga.app.url, order.id, 'FAILED');
  });

  test('when a second payment arrives while inventory is reserved, then it is refunded and the order keeps its own payment for any later refund', async () => {
    const order = await placeOrder(saga.app.url);
    await saga.events.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-first',
      amount: order.totalAmount,
    });
    await waitForStatus(saga.app.url, order.id, 'INVENTORY_RESERVING');

    const second = await saga.events.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-second',
      amount: 1_234,
    });
    expect(await waitForProcessed(saga.app, String(second.eventId))).toBe('compensated');
    await saga.events.send('inventory_reservation_failed', { orderId: order.id, reason: 'none' });
    await waitForStatus(saga.app.url, order.id, 'COMPENSATING');

    const refunds = await waitForRecords(saga.reader, order.id, 'refund_payment_request', 2);
    expect(refunds.map((r) => [r.value.paymentId, r.value.amount])).toEqual([
      ['pay-second', 1_234],
      ['pay-first', order.totalAmount],
    ]);
    expect((await effects(order.id)).map((e) => e.reference)).toEqual(['pay-first', 'pay-second']);
  });

  test('when a late payment comes again under a new event id, then it is not refunded a second time', async () => {
    const order = await placeOrder(saga.app.url);
    expect(
      (await fetch(`${saga.app.url}/api/v1/orders/${order.id}/cancel`, { method: 'POST' })).status,
    ).toBe(200);
    const late = { orderId: order.id, paymentId: 'pay-late', amount: order.totalAmount };
    const first = await saga.events.send('payment_successful', late);
    expect(await waitForProcessed(saga.app, String(first.eventId))).toBe('compensated');

    const again = await saga.events.send('payment_successful', late); // a new event id

    expect(again.eventId).not.toBe(first.eventId);
    expect(await waitForProcessed(saga.app, String(again.eventId))).toBe('ignored');
    expect(
      (await outboxOf(saga.app, order.id)).filter((row) => row.topic === 'refund_payment_request'),
    ).toHaveLength(1);
  });
});

/** Collects the service's log lines at warn and above (the harness runs it silent). */
function captureLogs(saga: SagaFixture, into: Record<string, unknown>[]) {
  const { logger } = saga.app.service;
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          into.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    }),
  );
  logger.level = 'warn';
  logger.silent = false;
}
