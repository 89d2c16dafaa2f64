import { decide, type SagaInput, type SagaOrder } from '../../src/domain/saga-decider';
import { SAGA_TRANSITIONS } from '../../src/domain/saga-transitions';
import { ORDER_STATUSES, type OrderStatus } from '../../src/domain/order-status';

const now = new Date('2026-01-01T00:00:00Z');
let counter = 0;
const context = { now, newEventId: () => `event-${++counter}` };

function anOrder(status: OrderStatus, overrides: Partial<SagaOrder> = {}): SagaOrder {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    status,
    customerId: 'c-1',
    currency: 'EUR',
    totalAmount: 5_000,
    failureReason: null,
    paymentId: status === 'PENDING' ? null : 'pay-1',
    paidAmount: status === 'PENDING' ? null : 5_000,
    reservationId: null,
    items: [{ productId: 'sku-1', quantity: 2 }],
    ...overrides,
  };
}

const inputs: Record<SagaInput['trigger'], SagaInput> = {
  payment_successful: {
    trigger: 'payment_successful',
    eventId: 'e',
    paymentId: 'pay-9',
    amount: 5_000,
  },
  payment_failed: { trigger: 'payment_failed', eventId: 'e', reason: 'card declined' },
  inventory_reserved: { trigger: 'inventory_reserved', eventId: 'e', reservationId: 'res-9' },
  inventory_reservation_failed: {
    trigger: 'inventory_reservation_failed',
    eventId: 'e',
    reason: 'out of stock',
  },
  payment_refunded: { trigger: 'payment_refunded', eventId: 'e', paymentId: 'pay-1' },
  cancel: { trigger: 'cancel', reason: 'changed my mind' },
  deadline_passed: { trigger: 'deadline_passed' },
};

describe('saga decider', () => {
  test('when the order is PENDING and payment succeeds, then it reserves inventory and remembers the payment', () => {
    const decision = decide(anOrder('PENDING'), inputs.payment_successful, context);
    expect(decision).toMatchObject({
      kind: 'apply',
      from: 'PENDING',
      changes: {
        status: 'INVENTORY_RESERVING',
        paymentId: 'pay-9',
        paidAmount: 5_000,
        waitingStep: 'inventory',
      },
    });
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(decision.emit).toEqual([
      {
        topic: 'reserve_inventory_request',
        payload: {
          eventId: expect.any(String),
          orderId: anOrder('PENDING').id,
          items: [{ productId: 'sku-1', quantity: 2 }],
          occurredAt: now.getTime(),
        },
      },
    ]);
  });

  test('when inventory is reserved, then the order is confirmed with its total', () => {
    const decision = decide(anOrder('INVENTORY_RESERVING'), inputs.inventory_reserved, context);
    expect(decision).toMatchObject({
      kind: 'apply',
      changes: { status: 'CONFIRMED', waitingStep: null },
    });
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(decision.emit.map((e) => e.topic)).toEqual(['order_confirmed']);
    expect(decision.emit[0].payload).toMatchObject({
      amount: 5_000,
      currency: 'EUR',
      customerId: 'c-1',
    });
  });

  test('when the reservation fails, then the payment taken is refunded with its id and amount', () => {
    const order = anOrder('INVENTORY_RESERVING', { paidAmount: 4_999 });
    const decision = decide(order, inputs.inventory_reservation_failed, context);
    expect(decision).toMatchObject({ kind: 'apply', changes: { status: 'COMPENSATING' } });
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(decision.emit[0]).toMatchObject({
      topic: 'refund_payment_request',
      payload: {
        paymentId: 'pay-1',
        amount: 4_999,
        currency: 'EUR',
        reason: 'inventory reservation failed: out of stock',
      },
    });
  });

  test('when the refund is confirmed, then the order fails with the reason it started compensating for', () => {
    const order = anOrder('COMPENSATING', {
      failureReason: 'inventory reservation failed: out of stock',
    });
    const decision = decide(order, inputs.payment_refunded, context);
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(decision.changes.status).toBe('FAILED');
    expect(decision.emit[0]).toMatchObject({
      topic: 'order_failed',
      payload: { reason: 'inventory reservation failed: out of stock' },
    });
  });

  test.each([
    ['PENDING', ['order_cancelled']],
    ['INVENTORY_RESERVING', ['order_cancelled', 'refund_payment_request']],
    ['COMPENSATING', ['order_cancelled']],
  ] as const)('when a %s order is cancelled, then it emits %j', (status, emitted) => {
    const decision = decide(anOrder(status), inputs.cancel, context);
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(decision.changes.status).toBe('CANCELLED');
    expect(decision.emit.map((e) => e.topic)).toEqual(emitted);
  });

  test.each(['CONFIRMED', 'FAILED', 'CANCELLED'] as const)(
    'when a %s order is cancelled, then nothing applies',
    (status) => {
      expect(decide(anOrder(status), inputs.cancel, context)).toMatchObject({ kind: 'ignore' });
    },
  );

  test.each([
    ['PENDING', 'FAILED', 'order_failed'],
    ['INVENTORY_RESERVING', 'COMPENSATING', 'refund_payment_request'],
  ] as const)(
    'when a %s order passes its deadline, then it becomes %s and emits %s',
    (status, to, emitted) => {
      const decision = decide(anOrder(status), inputs.deadline_passed, context);
      if (decision.kind !== 'apply') throw new Error('expected apply');
      expect(decision.changes.status).toBe(to);
      expect(decision.emit.map((e) => e.topic)).toEqual([emitted]);
    },
  );

  test('when a payment arrives after cancellation, then it is refunded and the order stays CANCELLED', () => {
    const order = anOrder('CANCELLED', {
      paymentId: null,
      paidAmount: null,
      failureReason: 'cancelled: x',
    });
    const decision = decide(order, inputs.payment_successful, context);
    if (decision.kind !== 'apply') throw new Error('expected apply');
    expect(decision.changes.status).toBe('CANCELLED');
    expect(decision.emit[0]).toMatchObject({
      topic: 'refund_payment_request',
      payload: { paymentId: 'pay-9', amount: 5_000 },
    });
  });

  test('when a late payment repeats the payment the order already knows, then it is ignored (no second refund)', () => {
    const order = anOrder('FAILED', { paymentId: 'pay-9' });
    expect(decide(order, inputs.payment_successful, context)).toMatchObject({ kind: 'ignore' });
  });

  test('when a reservation arrives after the order gave up on it, then it is released', () => {
    for (const status of ['COMPENSATING', 'CANCELLED', 'FAILED'] as const) {
      const decision = decide(anOrder(status), inputs.inventory_reserved, context);
      if (decision.kind !== 'apply') throw new Error(`expected apply for ${status}`);
      expect(decision.changes.status).toBe(status);
      expect(decision.emit[0]).toMatchObject({
        topic: 'release_inventory_request',
        payload: { reservationId: 'res-9' },
      });
    }
  });

  test('when a confirmed order gets any reply, then nothing applies', () => {
    for (const input of Object.values(inputs)) {
      expect(decide(anOrder('CONFIRMED'), input, context).kind).toBe('ignore');
    }
  });

  test('every (status, trigger) pair has at most one row, so the table is a function', () => {
    const keys = SAGA_TRANSITIONS.map((row) => `${row.from}/${row.on}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('every status except the terminal ones can be left, and every status can be reached', () => {
    const left = new Set(SAGA_TRANSITIONS.filter((r) => r.from !== r.to).map((r) => r.from));
    const reached = new Set(['PENDING', ...SAGA_TRANSITIONS.map((r) => r.to)]);
    expect([...left].sort()).toEqual(['COMPENSATING', 'INVENTORY_RESERVING', 'PENDING']);
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });
});
