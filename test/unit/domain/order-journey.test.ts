import {
  journeyTimeline,
  traceLink,
  triggerOfReason,
  type StoredJourney,
} from '../../../src/domain/order-journey';
import { decide } from '../../../src/domain/saga-decider';
import type { SagaInput, SagaOrder } from '../../../src/domain/saga-model';

const ORDER_ID = '0b0e4c8e-8a55-4c36-9c3e-4a4d2b1e0a01';

function stored(overrides: Partial<StoredJourney> = {}): StoredJourney {
  return {
    order: {
      id: ORDER_ID,
      customerId: 'customer-1',
      status: 'INVENTORY_RESERVING',
      currency: 'EUR',
      totalAmount: '2500',
      failureReason: null,
      paymentId: 'pay-1',
      reservationId: null,
      stepDeadlineAt: '2026-12-07T00:10:30.000Z',
      version: 2,
      createdAt: '2026-12-07T00:00:00.000Z',
      updatedAt: '2026-12-07T00:10:00.000Z',
    },
    transitions: [
      {
        at: '2026-12-07T00:00:00.000Z',
        from: null,
        to: 'PENDING',
        reason: 'order placed',
        causingEventId: null,
        causingTopic: null,
      },
      {
        at: '2026-12-07T00:10:00.000Z',
        from: 'PENDING',
        to: 'INVENTORY_RESERVING',
        reason: 'payment_successful; emits reserve_inventory_request',
        causingEventId: 'e-2',
        causingTopic: 'payment_successful',
      },
    ],
    outbox: [],
    replies: [
      {
        at: '2026-12-07T00:10:00.000Z',
        eventId: 'e-2',
        topic: 'payment_successful',
        outcome: 'applied',
      },
    ],
    effects: [],
    operatorActions: [],
    traceparent: null,
    ...overrides,
  };
}

describe('the order journey timeline', () => {
  it('when the saga stores a reason, then its trigger reads back from it', () => {
    // Reasons come from the decider itself, so a change in its wording breaks this test.
    const order: SagaOrder = {
      id: ORDER_ID,
      status: 'PENDING',
      customerId: 'customer-1',
      currency: 'EUR',
      totalAmount: 2_500,
      failureReason: null,
      paymentId: null,
      paidAmount: null,
      reservationId: null,
      items: [{ productId: 'sku-1', quantity: 1 }],
      version: 1,
      knownPayments: new Set(),
      knownReservations: new Set(),
    };
    const context = { now: new Date(), newEventId: () => 'event-1' };
    for (const trigger of ['deadline_passed', 'cancel'] as const) {
      const input = trigger === 'cancel' ? { trigger, reason: 'customer asked' } : { trigger };
      const decision = decide(order, input as SagaInput, context);
      if (decision.kind !== 'apply') throw new Error(`${trigger} did not apply`);
      expect(triggerOfReason(decision.reason)).toBe(trigger);
    }
    expect(triggerOfReason('order placed')).toBe('place_order');
    expect(triggerOfReason('late payment_successful; emits refund_payment_request')).toBe(
      'payment_successful',
    );
    expect(triggerOfReason('cancel (customer asked)')).toBe('cancel');
    expect(triggerOfReason('something else')).toBeNull();
  });

  it('when the order entered a waiting step, then the deadline armed shows, with the due time only for the current one', () => {
    const timeline = journeyTimeline(stored(), []);
    const armed = timeline.filter((e) => e.kind === 'deadline-armed');
    expect(armed).toEqual([
      { kind: 'deadline-armed', at: '2026-12-07T00:00:00.000Z', step: 'payment', dueAt: null },
      {
        kind: 'deadline-armed',
        at: '2026-12-07T00:10:00.000Z',
        step: 'inventory',
        dueAt: '2026-12-07T00:10:30.000Z',
      },
    ]);
  });

  it('when the sweeper moved the order, then the deadline shows as fired', () => {
    const base = stored();
    const timeline = journeyTimeline(
      stored({
        order: { ...base.order, status: 'COMPENSATING', stepDeadlineAt: null },
        transitions: [
          ...base.transitions,
          {
            at: '2026-12-07T00:11:00.000Z',
            from: 'INVENTORY_RESERVING',
            to: 'COMPENSATING',
            reason: 'deadline_passed; emits refund_payment_request',
            causingEventId: null,
            causingTopic: null,
          },
        ],
      }),
      [],
    );
    expect(timeline.filter((e) => e.kind === 'deadline-fired')).toEqual([
      { kind: 'deadline-fired', at: '2026-12-07T00:11:00.000Z', step: 'inventory' },
    ]);
    expect(timeline.filter((e) => e.kind === 'deadline-armed').map((e) => e.dueAt)).toEqual([
      null,
      null,
    ]);
  });

  it('when entries share an instant, then the reply comes before the transition it caused', () => {
    const kinds = journeyTimeline(stored(), []).map((e) => e.kind);
    expect(kinds).toEqual([
      'transition',
      'deadline-armed',
      'reply-consumed',
      'transition',
      'deadline-armed',
    ]);
  });
});

describe('the trace link', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  it('when a template is set, then the trace id of the traceparent fills it', () => {
    expect(traceLink('https://jaeger.example/trace/{traceId}', traceparent)).toBe(
      'https://jaeger.example/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });
  it('when no template, no traceparent, or a template that is not http(s), then no link', () => {
    expect(traceLink(undefined, traceparent)).toBeNull();
    expect(traceLink('https://x/{traceId}', null)).toBeNull();
    expect(traceLink('javascript:alert(1)//{traceId}', traceparent)).toBeNull();
  });
});
