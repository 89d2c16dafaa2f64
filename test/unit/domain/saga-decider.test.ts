import { decide } from '../../../src/domain/saga-decider';
import type { SagaInput, SagaOrder } from '../../../src/domain/saga-model';
import { NEW_ORDER, SAGA_TRANSITIONS } from '../../../src/domain/saga-transitions';
import { ORDER_STATUSES, type OrderStatus } from '../../../src/domain/order-status';

const now = new Date('2026-01-01T00:00:00Z');
let counter = 0;
const context = { now, newEventId: () => `event-${++counter}` };

/** An order in `status`; what it knows of payments and reservations follows its own ids. */
function anOrder(status: OrderStatus, overrides: Partial<SagaOrder> = {}): SagaOrder {
  const order = {
    id: '11111111-1111-4111-8111-111111111111',
    status,
    customerId: 'c-1',
    currency: 'EUR',
    totalAmount: 5_000,
    failureReason: null,
    paymentId: status === 'PENDING' ? null : 'pay-1',
    paidAmount: status === 'PENDING' ? null : 5_000,
    reservationId: status === 'CONFIRMED' ? 'res-1' : null,
    items: [{ productId: 'sku-1', quantity: 2 }],
    version: 3,
    ...overrides,
  };
  return {
    knownPayments: new Set(order.paymentId ? [order.paymentId] : []),
    knownReservations: new Set(order.reservationId ? [order.reservationId] : []),
    ...order,
  };
}

const inputs: Record<SagaInput['trigger'], SagaInput> = {
  place_order: { trigger: 'place_order' },
  payment_successful: {
    trigger: 'payment_successful',
    eventId: 'e',
    paymentId: 'pay-9',
    amount: 5_000,
    currency: 'EUR',
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
      trigger: 'payment_successful',
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

  describe('replies are bound to the order they name', () => {
    const payment = (fields: Partial<Extract<SagaInput, { trigger: 'payment_successful' }>>) =>
      ({ ...inputs.payment_successful, ...fields }) as SagaInput;

    test.each([
      ['less than the total', { amount: 4_000 }],
      ['more than the total', { amount: 6_000 }],
      ['in another currency', { currency: 'USD' }],
    ])(
      'when a PENDING order is paid %s, then it fails as payment-amount-mismatch and exactly that payment is refunded',
      (_, fields) => {
        const decision = decide(anOrder('PENDING'), payment(fields), context);
        if (decision.kind !== 'apply') throw new Error('expected apply');
        expect(decision.changes).toEqual({
          status: 'FAILED',
          failureReason: 'payment-amount-mismatch',
          waitingStep: null,
        });
        const amount = 'amount' in fields ? fields.amount : 5_000;
        const currency = 'currency' in fields ? fields.currency : 'EUR';
        expect(decision.emit.map((e) => e.topic)).toEqual([
          'refund_payment_request',
          'order_failed',
        ]);
        expect(decision.emit[0]?.payload).toMatchObject({ paymentId: 'pay-9', amount, currency });
        expect(decision.emit[1]?.payload).toMatchObject({ reason: 'payment-amount-mismatch' });
        expect(decision.effect).toEqual({
          kind: 'payment',
          reference: 'pay-9',
          amount,
          currency,
          eventId: 'e',
        });
      },
    );

    test('when a refund names another payment than the order used, then a COMPENSATING order stays, and why is said', () => {
      const decision = decide(
        anOrder('COMPENSATING'),
        { ...inputs.payment_refunded, paymentId: 'pay-other' } as SagaInput,
        context,
      );
      expect(decision).toEqual({
        kind: 'ignore',
        reason: "payment_refunded names payment pay-other, not the order's pay-1",
      });
    });

    test.each(['INVENTORY_RESERVING', 'COMPENSATING', 'CONFIRMED', 'CANCELLED', 'FAILED'] as const)(
      'when a %s order gets a second payment, then exactly what that reply took is refunded and the order keeps its own',
      (status) => {
        const decision = decide(
          anOrder(status),
          payment({ paymentId: 'pay-2', amount: 777, currency: 'USD' }),
          context,
        );
        if (decision.kind !== 'apply') throw new Error('expected apply');
        expect(decision.changes.status).toBe(status);
        expect(decision.changes).not.toHaveProperty('paymentId');
        expect(decision.changes).not.toHaveProperty('paidAmount');
        expect(decision.emit).toEqual([
          {
            topic: 'refund_payment_request',
            payload: expect.objectContaining({ paymentId: 'pay-2', amount: 777, currency: 'USD' }),
          },
        ]);
      },
    );

    test('when a late payment was already refunded once, then the same payment under a new event id is ignored', () => {
      const order = anOrder('CANCELLED', { knownPayments: new Set(['pay-1', 'pay-9']) });
      const again = { ...inputs.payment_successful, eventId: 'another-event' } as SagaInput;
      expect(decide(order, again, context)).toMatchObject({ kind: 'ignore' });
    });

    test.each(['COMPENSATING', 'CONFIRMED', 'CANCELLED', 'FAILED'] as const)(
      'when a %s order already released a late reservation, then the same reservation under a new event id is ignored',
      (status) => {
        const order = anOrder(status, { knownReservations: new Set(['res-1', 'res-9']) });
        const again = { ...inputs.inventory_reserved, eventId: 'another-event' } as SagaInput;
        expect(decide(order, again, context)).toMatchObject({ kind: 'ignore' });
      },
    );

    test('when a late reservation is released, then the order keeps the reservation it had', () => {
      const decision = decide(anOrder('CONFIRMED'), inputs.inventory_reserved, context);
      if (decision.kind !== 'apply') throw new Error('expected apply');
      expect(decision.changes).not.toHaveProperty('reservationId');
      expect(decision.emit[0]).toMatchObject({
        topic: 'release_inventory_request',
        payload: { reservationId: 'res-9' },
      });
      expect(decision.effect).toEqual({ kind: 'reservation', reference: 'res-9', eventId: 'e' });
    });
  });

  test('when a confirmed order gets a reply about what it already has, then nothing applies', () => {
    const order = anOrder('CONFIRMED');
    const known: SagaInput[] = [
      { ...inputs.payment_successful, paymentId: 'pay-1' } as SagaInput,
      { ...inputs.inventory_reserved, reservationId: 'res-1' } as SagaInput,
      inputs.payment_failed,
      inputs.inventory_reservation_failed,
      inputs.payment_refunded,
      inputs.cancel,
      inputs.deadline_passed,
    ];
    for (const input of known) expect(decide(order, input, context).kind).toBe('ignore');
  });

  test('every (status, trigger) pair has one row, or guarded rows only, so the table is a function', () => {
    const byPair = new Map<string, (string | undefined)[]>();
    for (const row of SAGA_TRANSITIONS) {
      const key = `${row.from}/${row.trigger}`;
      byPair.set(key, [...(byPair.get(key) ?? []), row.when]);
    }
    for (const [pair, guards] of byPair) {
      if (guards.length === 1) continue;
      expect({ pair, guards }).toEqual({ pair, guards: ['payment_matches', 'payment_mismatch'] });
    }
  });

  test('every status except the terminal ones can be left, and every status can be reached', () => {
    const left = new Set(
      SAGA_TRANSITIONS.filter((r) => r.from !== r.to && r.from !== NEW_ORDER).map((r) => r.from),
    );
    const reached = new Set(['PENDING', ...SAGA_TRANSITIONS.map((r) => r.to)]);
    expect([...left].sort()).toEqual(['COMPENSATING', 'INVENTORY_RESERVING', 'PENDING']);
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
  });
});
