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
 * Extra condition on a row: late replies are compensated only when they bring a payment or a
 * reservation the saga does not already know (a redelivered reply with another event id must
 * not cause a second refund).
 */
export type SagaGuard = 'unknown_payment' | 'unknown_reservation';

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
 */
// prettier-ignore
export const SAGA_TRANSITIONS: readonly SagaTransition[] = [
  // The happy path.
  { from: 'PENDING', on: 'payment_successful', to: 'INVENTORY_RESERVING', emit: ['reserve_inventory_request'] },
  { from: 'INVENTORY_RESERVING', on: 'inventory_reserved', to: 'CONFIRMED', emit: ['order_confirmed'] },

  // Failures, and compensation of a payment already taken.
  { from: 'PENDING', on: 'payment_failed', to: 'FAILED', emit: ['order_failed'] },
  { from: 'INVENTORY_RESERVING', on: 'inventory_reservation_failed', to: 'COMPENSATING', emit: ['refund_payment_request'] },
  { from: 'COMPENSATING', on: 'payment_refunded', to: 'FAILED', emit: ['order_failed'] },

  // Cancellation by the customer, before confirmation.
  { from: 'PENDING', on: 'cancel', to: 'CANCELLED', emit: ['order_cancelled'] },
  { from: 'INVENTORY_RESERVING', on: 'cancel', to: 'CANCELLED', emit: ['order_cancelled', 'refund_payment_request'] },
  { from: 'COMPENSATING', on: 'cancel', to: 'CANCELLED', emit: ['order_cancelled'] },

  // Step deadlines (the sweeper).
  { from: 'PENDING', on: 'deadline_passed', to: 'FAILED', emit: ['order_failed'] },
  { from: 'INVENTORY_RESERVING', on: 'deadline_passed', to: 'COMPENSATING', emit: ['refund_payment_request'] },

  // Late replies after the saga moved on: undo what they did, keep the status.
  { from: 'CANCELLED', on: 'payment_successful', to: 'CANCELLED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'FAILED', on: 'payment_successful', to: 'FAILED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'COMPENSATING', on: 'inventory_reserved', to: 'COMPENSATING', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'CANCELLED', on: 'inventory_reserved', to: 'CANCELLED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'FAILED', on: 'inventory_reserved', to: 'FAILED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
];

/** Statuses in which the order waits on a peer, and so has a step deadline. */
export const WAITING_STEP: Partial<Record<OrderStatus, 'payment' | 'inventory'>> = {
  PENDING: 'payment',
  INVENTORY_RESERVING: 'inventory',
};

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['CONFIRMED', 'FAILED', 'CANCELLED'];
