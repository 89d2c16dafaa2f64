import type { OrderStatus } from './order-status';

/** What can move an order: a peer's reply, a customer's cancel, or a passed step deadline. */
export type SagaTrigger =
  | 'payment_successful'
  | 'payment_failed'
  | 'inventory_reserved'
  | 'inventory_reservation_failed'
  | 'payment_refunded'
  | 'cancel'
  | 'deadline_passed';

/** Events the order service emits; each is one topic and one `schemas/<name>.avsc`. */
export type EmittedEvent =
  | 'reserve_inventory_request'
  | 'refund_payment_request'
  | 'release_inventory_request'
  | 'order_confirmed'
  | 'order_failed'
  | 'order_cancelled';

/**
 * Extra condition on a row; rows for the same status and trigger differ by their guard, and the
 * first row whose guard holds applies.
 * - `payment_matches` / `payment_mismatch`: the payment took exactly the order's total, in its
 *   currency (a reply without a currency means the order's), or it did not.
 * - `unknown_payment` / `unknown_reservation`: the reply brings a payment or a reservation the
 *   order has not seen before. A repeated reply, even under a new event id, is ignored, so it
 *   never causes a second refund or release.
 * - `order_payment`: the refund is of the payment the order used, not of another one.
 */
export type SagaGuard =
  | 'payment_matches'
  | 'payment_mismatch'
  | 'unknown_payment'
  | 'unknown_reservation'
  | 'order_payment';

export interface SagaTransition {
  from: OrderStatus;
  on: SagaTrigger;
  to: OrderStatus;
  emit: readonly EmittedEvent[];
  when?: SagaGuard;
}

/**
 * THE saga. Every status change and every event the service emits is one row here; anything
 * not listed is ignored (recorded and counted, never applied). README's state diagram is
 * generated from this table (`npm run docs:saga`), and a test keeps the two in step.
 *
 * A refund or release a row emits undoes what the triggering reply reported (its payment, with
 * the amount and currency it says it took, or its reservation) when the trigger is that reply,
 * and the order's own payment otherwise. A reply the row undoes never becomes the order's.
 */
// prettier-ignore
export const SAGA_TRANSITIONS: readonly SagaTransition[] = [
  // The happy path.
  { from: 'PENDING', on: 'payment_successful', to: 'INVENTORY_RESERVING', emit: ['reserve_inventory_request'], when: 'payment_matches' },
  { from: 'INVENTORY_RESERVING', on: 'inventory_reserved', to: 'CONFIRMED', emit: ['order_confirmed'] },

  // Failures, and compensation of a payment already taken.
  { from: 'PENDING', on: 'payment_successful', to: 'FAILED', emit: ['refund_payment_request', 'order_failed'], when: 'payment_mismatch' },
  { from: 'PENDING', on: 'payment_failed', to: 'FAILED', emit: ['order_failed'] },
  { from: 'INVENTORY_RESERVING', on: 'inventory_reservation_failed', to: 'COMPENSATING', emit: ['refund_payment_request'] },
  { from: 'COMPENSATING', on: 'payment_refunded', to: 'FAILED', emit: ['order_failed'], when: 'order_payment' },

  // Cancellation by the customer, before confirmation.
  { from: 'PENDING', on: 'cancel', to: 'CANCELLED', emit: ['order_cancelled'] },
  { from: 'INVENTORY_RESERVING', on: 'cancel', to: 'CANCELLED', emit: ['order_cancelled', 'refund_payment_request'] },
  { from: 'COMPENSATING', on: 'cancel', to: 'CANCELLED', emit: ['order_cancelled'] },

  // Step deadlines (the sweeper).
  { from: 'PENDING', on: 'deadline_passed', to: 'FAILED', emit: ['order_failed'] },
  { from: 'INVENTORY_RESERVING', on: 'deadline_passed', to: 'COMPENSATING', emit: ['refund_payment_request'] },

  // Late or extra replies after the order has its payment or left the step: undo what they
  // did, keep the status. A second payment is a double charge whatever the status.
  { from: 'INVENTORY_RESERVING', on: 'payment_successful', to: 'INVENTORY_RESERVING', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'COMPENSATING', on: 'payment_successful', to: 'COMPENSATING', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'CONFIRMED', on: 'payment_successful', to: 'CONFIRMED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'CANCELLED', on: 'payment_successful', to: 'CANCELLED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'FAILED', on: 'payment_successful', to: 'FAILED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'COMPENSATING', on: 'inventory_reserved', to: 'COMPENSATING', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'CONFIRMED', on: 'inventory_reserved', to: 'CONFIRMED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'CANCELLED', on: 'inventory_reserved', to: 'CANCELLED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'FAILED', on: 'inventory_reserved', to: 'FAILED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
];

/** Statuses in which the order waits on a peer, and so has a step deadline. */
export const WAITING_STEP: Partial<Record<OrderStatus, 'payment' | 'inventory'>> = {
  PENDING: 'payment',
  INVENTORY_RESERVING: 'inventory',
};

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['CONFIRMED', 'FAILED', 'CANCELLED'];
