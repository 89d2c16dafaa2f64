import type { DecodedRecord } from '../../support/topic-reader';
import {
  cancel,
  orderOfAmount,
  placeOrder,
  recordsOf,
  startSagaFixture,
  steps,
  waitForRecords,
  waitForStatus,
  type SagaFixture,
} from './saga-fixture';

/** Every record is keyed by the order id and carries its eventId in the `event-id` header. */
function expectKeyedAndIdentified(records: DecodedRecord[], orderId: string): void {
  for (const record of records) {
    expect(record.key).toBe(orderId);
    expect(record.value.orderId).toBe(orderId);
    expect(record.headers['event-id']).toBe(record.value.eventId);
  }
}

// Both services start at once (each spends seconds joining its consumer groups); each
// describe awaits and stops its own.
let starting: { paths: Promise<SagaFixture>; deadlines: Promise<SagaFixture> };
beforeAll(() => {
  starting = {
    paths: startSagaFixture({ peers: true }),
    deadlines: startSagaFixture({
      peers: true,
      env: {
        SAGA_PAYMENT_TIMEOUT_MS: '3000',
        SAGA_INVENTORY_TIMEOUT_MS: '1500',
        SAGA_SWEEP_INTERVAL_MS: '100',
      },
    }),
  };
  // Each is awaited in its describe; this only keeps an early failure from going unhandled.
  starting.deadlines.catch(() => undefined);
});

describe('saga paths end to end, with the simulated payment and inventory services', () => {
  let saga: SagaFixture;
  beforeAll(async () => {
    saga = await starting.paths;
  });
  afterAll(async () => {
    await saga?.stop();
  });

  test('when payment and reservation succeed, then the order is CONFIRMED and order_confirmed is emitted', async () => {
    const order = await placeOrder(saga.app.url, { customerId: 'path-confirmed' });

    const detail = await waitForStatus(saga.app.url, order.id, 'CONFIRMED');

    expect(steps(detail)).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>CONFIRMED',
    ]);
    const [confirmed] = await waitForRecords(saga.reader, order.id, 'order_confirmed');
    const [request] = recordsOf(saga.reader, order.id, 'process_payment_request');
    const [paid] = recordsOf(saga.reader, order.id, 'payment_successful');
    const [reserve] = recordsOf(saga.reader, order.id, 'reserve_inventory_request');
    const [reserved] = recordsOf(saga.reader, order.id, 'inventory_reserved');
    expect(request?.value).toMatchObject({
      customerId: 'path-confirmed',
      amount: order.totalAmount,
      currency: 'EUR',
    });
    expect(paid?.value).toMatchObject({ amount: order.totalAmount });
    expect(reserve?.value.items).toEqual([
      { productId: 'sku-1', quantity: 2 },
      { productId: 'sku-2', quantity: 1 },
    ]);
    expect(confirmed?.value).toMatchObject({
      customerId: 'path-confirmed',
      amount: order.totalAmount,
      currency: 'EUR',
    });
    expectKeyedAndIdentified(
      [request, paid, reserve, reserved, confirmed] as DecodedRecord[],
      order.id,
    );
    expect(detail.history.map((h: { causingEventId: string | null }) => h.causingEventId)).toEqual([
      null,
      paid?.value.eventId,
      reserved?.value.eventId,
    ]);
  });

  test('when payment fails, then the order is FAILED and order_failed carries the reason', async () => {
    const order = await placeOrder(saga.app.url, orderOfAmount(1_013)); // ends in 13: declined

    const detail = await waitForStatus(saga.app.url, order.id, 'FAILED');

    expect(steps(detail)).toEqual(['>PENDING', 'PENDING>FAILED']);
    expect(detail.failureReason).toBe('payment failed: card declined');
    const [failed] = await waitForRecords(saga.reader, order.id, 'order_failed');
    expect(failed?.value.reason).toBe('payment failed: card declined');
    expectKeyedAndIdentified([failed as DecodedRecord], order.id);
    expect(recordsOf(saga.reader, order.id, 'reserve_inventory_request')).toEqual([]);
    expect(recordsOf(saga.reader, order.id, 'refund_payment_request')).toEqual([]);
  });

  test('when the reservation fails, then the payment is refunded and the order ends FAILED', async () => {
    const order = await placeOrder(saga.app.url, orderOfAmount(2_500, 'oos-grinder'));

    const detail = await waitForStatus(saga.app.url, order.id, 'FAILED');

    expect(steps(detail)).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>COMPENSATING',
      'COMPENSATING>FAILED',
    ]);
    expect(detail.failureReason).toBe('inventory reservation failed: out of stock');
    const [paid] = await waitForRecords(saga.reader, order.id, 'payment_successful');
    const [refund] = await waitForRecords(saga.reader, order.id, 'refund_payment_request');
    const [refunded] = await waitForRecords(saga.reader, order.id, 'payment_refunded');
    const [failed] = await waitForRecords(saga.reader, order.id, 'order_failed');
    expect(refund?.value).toMatchObject({
      paymentId: paid?.value.paymentId,
      amount: 2_500,
      currency: 'EUR',
      reason: 'inventory reservation failed: out of stock',
    });
    expect(refunded?.value.paymentId).toBe(paid?.value.paymentId);
    expect(failed?.value.reason).toBe('inventory reservation failed: out of stock');
    expectKeyedAndIdentified([paid, refund, refunded, failed] as DecodedRecord[], order.id);
  });

  test('when the customer cancels while payment is pending, then the order is CANCELLED and order_cancelled is emitted', async () => {
    const order = await placeOrder(saga.app.url, orderOfAmount(1_099)); // ends in 99: no answer

    const response = await cancel(saga.app.url, order.id, { reason: 'found it cheaper' });

    expect(response.status).toBe(200);
    const detail = await waitForStatus(saga.app.url, order.id, 'CANCELLED');
    expect(steps(detail)).toEqual(['>PENDING', 'PENDING>CANCELLED']);
    const [cancelled] = await waitForRecords(saga.reader, order.id, 'order_cancelled');
    expect(cancelled?.value.reason).toBe('cancelled: found it cheaper');
    expectKeyedAndIdentified([cancelled as DecodedRecord], order.id);
    expect(recordsOf(saga.reader, order.id, 'refund_payment_request')).toEqual([]);
  });
});

describe('saga paths end to end: step deadlines', () => {
  let saga: SagaFixture;
  beforeAll(async () => {
    saga = await starting.deadlines;
  });
  afterAll(async () => {
    await saga?.stop();
  });

  test('when payment never answers, then the payment deadline fails the order with order_failed', async () => {
    const order = await placeOrder(saga.app.url, orderOfAmount(2_099)); // ends in 99: no answer

    const detail = await waitForStatus(saga.app.url, order.id, 'FAILED');

    expect(steps(detail)).toEqual(['>PENDING', 'PENDING>FAILED']);
    expect(detail.history[1].reason).toMatch(/^deadline_passed/);
    expect(detail.failureReason).toBe('payment not confirmed before the deadline');
    const [failed] = await waitForRecords(saga.reader, order.id, 'order_failed');
    expect(failed?.value.reason).toBe('payment not confirmed before the deadline');
    expectKeyedAndIdentified([failed as DecodedRecord], order.id);
    expect(recordsOf(saga.reader, order.id, 'refund_payment_request')).toEqual([]);
  });

  test('when inventory never answers, then the inventory deadline compensates: refund, then FAILED', async () => {
    const order = await placeOrder(saga.app.url, orderOfAmount(3_000, 'slow-kettle'));

    const detail = await waitForStatus(saga.app.url, order.id, 'FAILED');

    expect(steps(detail)).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>COMPENSATING',
      'COMPENSATING>FAILED',
    ]);
    expect(detail.history[2].reason).toMatch(/^deadline_passed; emits refund_payment_request/);
    expect(detail.failureReason).toBe('inventory not reserved before the deadline');
    const [paid] = await waitForRecords(saga.reader, order.id, 'payment_successful');
    const [refund] = await waitForRecords(saga.reader, order.id, 'refund_payment_request');
    const [failed] = await waitForRecords(saga.reader, order.id, 'order_failed');
    expect(refund?.value).toMatchObject({
      paymentId: paid?.value.paymentId,
      amount: 3_000,
      reason: 'inventory not reserved before the deadline',
    });
    expect(failed?.value.reason).toBe('inventory not reserved before the deadline');
    expectKeyedAndIdentified([refund, failed] as DecodedRecord[], order.id);
  });
});
