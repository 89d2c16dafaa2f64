import type { OrderStatus } from './order-status';
import type { OutgoingEvent } from './saga-events';
import { buildEvent } from './saga-event-builders';
import {
  SAGA_TRANSITIONS,
  WAITING_STEP,
  type SagaGuard,
  type SagaTransition,
} from './saga-transitions';

/** What the saga needs to know about an order to decide. Amounts in minor units. */
export interface SagaOrder {
  id: string;
  status: OrderStatus;
  customerId: string;
  currency: string;
  totalAmount: number;
  failureReason: string | null;
  paymentId: string | null;
  paidAmount: number | null;
  reservationId: string | null;
  items: readonly { productId: string; quantity: number }[];
}

export type SagaInput =
  | { trigger: 'payment_successful'; eventId: string; paymentId: string; amount: number }
  | { trigger: 'payment_failed'; eventId: string; reason: string }
  | { trigger: 'inventory_reserved'; eventId: string; reservationId: string }
  | { trigger: 'inventory_reservation_failed'; eventId: string; reason: string }
  | { trigger: 'payment_refunded'; eventId: string; paymentId: string }
  | { trigger: 'cancel'; reason: string }
  | { trigger: 'deadline_passed' };

export interface OrderChanges {
  status: OrderStatus;
  failureReason?: string;
  paymentId?: string;
  paidAmount?: number;
  reservationId?: string;
  /** The step the order now waits on, if any; the caller turns it into a deadline. */
  waitingStep: 'payment' | 'inventory' | null;
}

export type SagaDecision =
  | {
      kind: 'apply';
      from: OrderStatus;
      changes: OrderChanges;
      emit: OutgoingEvent[];
      reason: string;
    }
  | { kind: 'ignore'; reason: string };

export interface DecisionContext {
  now: Date;
  newEventId: () => string;
}

/**
 * Pure: finds the one row of the transition table for (status, trigger), checks its guard,
 * and says what changes and what is emitted. Anything without a row is ignored, with why.
 */
export function decide(order: SagaOrder, input: SagaInput, context: DecisionContext): SagaDecision {
  const row = SAGA_TRANSITIONS.find((t) => t.from === order.status && t.on === input.trigger);
  if (!row)
    return { kind: 'ignore', reason: `${input.trigger} does not apply to a ${order.status} order` };
  if (row.when && !guardHolds(row.when, order, input)) {
    return { kind: 'ignore', reason: `${input.trigger} repeats what the order already knows` };
  }
  const changes = changesFor(row, order, input);
  const after: SagaOrder = {
    ...order,
    ...changes,
    paidAmount: changes.paidAmount ?? order.paidAmount,
  };
  const emit = row.emit.map((type) => buildEvent(type, after, input, context));
  return { kind: 'apply', from: order.status, changes, emit, reason: reasonFor(row, input) };
}

function guardHolds(guard: SagaGuard, order: SagaOrder, input: SagaInput): boolean {
  if (guard === 'unknown_payment') {
    return input.trigger === 'payment_successful' && input.paymentId !== order.paymentId;
  }
  return input.trigger === 'inventory_reserved' && input.reservationId !== order.reservationId;
}

function changesFor(row: SagaTransition, order: SagaOrder, input: SagaInput): OrderChanges {
  const changes: OrderChanges = { status: row.to, waitingStep: WAITING_STEP[row.to] ?? null };
  switch (input.trigger) {
    case 'payment_successful':
      return { ...changes, paymentId: input.paymentId, paidAmount: input.amount };
    case 'inventory_reserved':
      return { ...changes, reservationId: input.reservationId };
    case 'payment_failed':
      return { ...changes, failureReason: `payment failed: ${input.reason}` };
    case 'inventory_reservation_failed':
      return { ...changes, failureReason: `inventory reservation failed: ${input.reason}` };
    case 'cancel':
      return { ...changes, failureReason: `cancelled: ${input.reason}` };
    case 'deadline_passed':
      return {
        ...changes,
        failureReason:
          order.status === 'PENDING'
            ? 'payment not confirmed before the deadline'
            : 'inventory not reserved before the deadline',
      };
    case 'payment_refunded':
      return changes;
  }
}

function reasonFor(row: SagaTransition, input: SagaInput): string {
  const emitted = row.emit.length > 0 ? `; emits ${row.emit.join(', ')}` : '';
  const late = row.from === row.to ? 'late ' : '';
  const detail = 'reason' in input ? ` (${input.reason})` : '';
  return `${late}${input.trigger}${detail}${emitted}`;
}
