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
  /** Every payment and reservation the peers reported for the order (order_effects). */
  knownPayments: ReadonlySet<string>;
  knownReservations: ReadonlySet<string>;
}

export type SagaInput =
  | {
      trigger: 'payment_successful';
      eventId: string;
      paymentId: string;
      amount: number;
      /** Absent when the payment service does not say: the order's currency. */
      currency?: string;
    }
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

/** A payment or reservation a peer reported, to be remembered once (order_effects). */
export type PeerEffect =
  | { kind: 'payment'; reference: string; amount: number; currency: string; eventId: string }
  | { kind: 'reservation'; reference: string; eventId: string };

export type SagaDecision =
  | {
      kind: 'apply';
      from: OrderStatus;
      changes: OrderChanges;
      emit: OutgoingEvent[];
      reason: string;
      /** What the triggering reply reported, when it reported a payment or a reservation. */
      effect?: PeerEffect;
    }
  | { kind: 'ignore'; reason: string };

export interface DecisionContext {
  now: Date;
  newEventId: () => string;
}

/**
 * Pure: finds the row of the transition table for (status, trigger) whose guard holds, and says
 * what changes, what is emitted and what the reply reported. Anything without such a row is
 * ignored, with why.
 */
export function decide(order: SagaOrder, input: SagaInput, context: DecisionContext): SagaDecision {
  const rows = SAGA_TRANSITIONS.filter((t) => t.from === order.status && t.on === input.trigger);
  if (rows.length === 0)
    return { kind: 'ignore', reason: `${input.trigger} does not apply to a ${order.status} order` };
  const row = rows.find((candidate) => !candidate.when || guardHolds(candidate.when, order, input));
  if (!row) return { kind: 'ignore', reason: whyNoGuardHolds(order, input) };
  const changes = changesFor(row, order, input);
  const after: SagaOrder = {
    ...order,
    ...changes,
    paidAmount: changes.paidAmount ?? order.paidAmount,
  };
  const emit = row.emit.map((type) => buildEvent(type, after, input, context));
  const effect = effectOf(order, input);
  return {
    kind: 'apply',
    from: order.status,
    changes,
    emit,
    reason: reasonFor(row, order, input),
    ...(effect ? { effect } : {}),
  };
}

function paymentMatches(order: SagaOrder, input: SagaInput): boolean {
  return (
    input.trigger === 'payment_successful' &&
    input.amount === order.totalAmount &&
    (input.currency ?? order.currency) === order.currency
  );
}

function guardHolds(guard: SagaGuard, order: SagaOrder, input: SagaInput): boolean {
  switch (guard) {
    case 'payment_matches':
      return paymentMatches(order, input);
    case 'payment_mismatch':
      return input.trigger === 'payment_successful' && !paymentMatches(order, input);
    case 'unknown_payment':
      return input.trigger === 'payment_successful' && !order.knownPayments.has(input.paymentId);
    case 'unknown_reservation':
      return (
        input.trigger === 'inventory_reserved' && !order.knownReservations.has(input.reservationId)
      );
    case 'order_payment':
      return input.trigger === 'payment_refunded' && input.paymentId === order.paymentId;
  }
}

function whyNoGuardHolds(order: SagaOrder, input: SagaInput): string {
  if (input.trigger === 'payment_refunded') {
    return `payment_refunded names payment ${input.paymentId}, not the order's ${order.paymentId ?? '(none)'}`;
  }
  return `${input.trigger} repeats what the order already knows`;
}

/** The reply's payment or reservation: remembered whatever the row does with it. */
function effectOf(order: SagaOrder, input: SagaInput): PeerEffect | undefined {
  if (input.trigger === 'payment_successful') {
    const { paymentId, amount, eventId } = input;
    const currency = input.currency ?? order.currency;
    return { kind: 'payment', reference: paymentId, amount, currency, eventId };
  }
  if (input.trigger === 'inventory_reserved') {
    return { kind: 'reservation', reference: input.reservationId, eventId: input.eventId };
  }
  return undefined;
}

function changesFor(row: SagaTransition, order: SagaOrder, input: SagaInput): OrderChanges {
  const changes: OrderChanges = { status: row.to, waitingStep: WAITING_STEP[row.to] ?? null };
  switch (input.trigger) {
    case 'payment_successful':
      // A payment the row refunds is not the order's.
      if (row.emit.includes('refund_payment_request')) {
        return row.when === 'payment_mismatch'
          ? { ...changes, failureReason: 'payment-amount-mismatch' }
          : changes;
      }
      return { ...changes, paymentId: input.paymentId, paidAmount: input.amount };
    case 'inventory_reserved':
      // Likewise a reservation the row releases.
      return row.emit.includes('release_inventory_request')
        ? changes
        : { ...changes, reservationId: input.reservationId };
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

function reasonFor(row: SagaTransition, order: SagaOrder, input: SagaInput): string {
  const emitted = row.emit.length > 0 ? `; emits ${row.emit.join(', ')}` : '';
  const late = row.from === row.to ? 'late ' : '';
  const detail =
    'reason' in input
      ? ` (${input.reason})`
      : row.when === 'payment_mismatch' && input.trigger === 'payment_successful'
        ? ` (took ${input.amount} ${input.currency ?? order.currency}, order total ${order.totalAmount} ${order.currency})`
        : '';
  return `${late}${input.trigger}${detail}${emitted}`;
}
