import type { OutgoingEvent } from './saga-events';
import type { DecisionContext, SagaInput, SagaOrder } from './saga-model';
import type { EmittedEvent } from './saga-transitions';

/**
 * The payload of one emitted event, from the order as it is after the transition. A refund or
 * release undoes what the triggering reply reported when the trigger is that reply (a late,
 * extra or mismatched payment, a late reservation), else the order's own payment.
 */
export function buildEvent(
  type: EmittedEvent,
  order: SagaOrder,
  input: SagaInput,
  { now, newEventId }: DecisionContext,
): OutgoingEvent {
  const base = { eventId: newEventId(), orderId: order.id, occurredAt: now.getTime() };
  const reason = order.failureReason ?? `late ${input.trigger} for a ${order.status} order`;
  switch (type) {
    case 'process_payment_request':
      return { topic: type, payload: { ...base, ...charge(order) } };
    case 'reserve_inventory_request':
      return {
        topic: type,
        payload: {
          ...base,
          items: order.items.map(({ productId, quantity }) => ({ productId, quantity })),
        },
      };
    case 'refund_payment_request':
      return {
        topic: type,
        payload: {
          ...base,
          ...(input.trigger === 'payment_successful'
            ? {
                paymentId: input.paymentId,
                amount: input.amount,
                currency: input.currency ?? order.currency,
              }
            : {
                paymentId: required(order.paymentId, 'paymentId', type),
                amount: order.paidAmount ?? order.totalAmount,
                currency: order.currency,
              }),
          reason,
        },
      };
    case 'release_inventory_request':
      return {
        topic: type,
        payload: {
          ...base,
          reservationId:
            input.trigger === 'inventory_reserved'
              ? input.reservationId
              : required(order.reservationId, 'reservationId', type),
          reason,
        },
      };
    case 'order_confirmed':
      return { topic: type, payload: { ...base, ...charge(order) } };
    case 'order_failed':
    case 'order_cancelled':
      return { topic: type, payload: { ...base, reason } };
  }
}

/** Who pays how much for the order: what the payment request asks and the confirmation states. */
function charge(order: SagaOrder) {
  return { customerId: order.customerId, amount: order.totalAmount, currency: order.currency };
}

/** The table only emits refunds and releases where these are known; this guards the table. */
function required(value: string | null, field: string, type: EmittedEvent): string {
  if (value === null) throw new Error(`${type} needs ${field}, which the order does not have`);
  return value;
}
