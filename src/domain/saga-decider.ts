import { buildEvent } from './saga-event-builders';
import type {
  DecisionContext,
  OrderChanges,
  PeerEffect,
  SagaDecision,
  SagaInput,
  SagaOrder,
} from './saga-model';
import {
  SAGA_TRANSITIONS,
  waitingStepOf,
  type SagaGuard,
  type SagaTransition,
} from './saga-transitions';

/**
 * Pure: finds the row of the transition table for (status, trigger) whose guard holds, and says
 * what changes, what is emitted and what the reply reported. Anything without such a row is
 * ignored, with why.
 */
export function decide(order: SagaOrder, input: SagaInput, context: DecisionContext): SagaDecision {
  const rows = SAGA_TRANSITIONS.filter(
    (t) => t.from === order.status && t.trigger === input.trigger,
  );
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
  const effect = effectOf(input);
  return {
    kind: 'apply',
    from: order.status,
    trigger: row.trigger,
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
    input.currency === order.currency
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
function effectOf(input: SagaInput): PeerEffect | undefined {
  if (input.trigger === 'payment_successful') {
    const { paymentId, amount, currency, eventId } = input;
    return { kind: 'payment', reference: paymentId, amount, currency, eventId };
  }
  if (input.trigger === 'inventory_reserved') {
    return { kind: 'reservation', reference: input.reservationId, eventId: input.eventId };
  }
  return undefined;
}

function changesFor(row: SagaTransition, order: SagaOrder, input: SagaInput): OrderChanges {
  const changes: OrderChanges = { status: row.to, waitingStep: waitingStepOf(row.to) };
  switch (input.trigger) {
    case 'place_order':
      return changes;
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

/** The order as it is once `decision` is applied: what a next input in the same batch sees. */
export function orderAfter(
  order: SagaOrder,
  decision: Extract<SagaDecision, { kind: 'apply' }>,
): SagaOrder {
  const { changes, effect } = decision;
  const remember = (known: ReadonlySet<string>, kind: PeerEffect['kind']) =>
    effect?.kind === kind ? new Set([...known, effect.reference]) : known;
  return {
    ...order,
    status: changes.status,
    failureReason: changes.failureReason ?? order.failureReason,
    paymentId: changes.paymentId ?? order.paymentId,
    paidAmount: changes.paidAmount ?? order.paidAmount,
    reservationId: changes.reservationId ?? order.reservationId,
    version: order.version + 1,
    knownPayments: remember(order.knownPayments, 'payment'),
    knownReservations: remember(order.knownReservations, 'reservation'),
  };
}

function reasonFor(row: SagaTransition, order: SagaOrder, input: SagaInput): string {
  if (input.trigger === 'place_order') return 'order placed';
  const emitted = row.emit.length > 0 ? `; emits ${row.emit.join(', ')}` : '';
  const late = row.from === row.to ? 'late ' : '';
  const detail =
    'reason' in input
      ? ` (${input.reason})`
      : row.when === 'payment_mismatch' && input.trigger === 'payment_successful'
        ? ` (took ${input.amount} ${input.currency}, order total ${order.totalAmount} ${order.currency})`
        : '';
  return `${late}${input.trigger}${detail}${emitted}`;
}
