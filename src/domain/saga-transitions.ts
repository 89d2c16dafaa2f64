import type { OrderStatus } from './order-status';

/**
 * The saga's vocabulary, listed once. Everything else is derived from these lists and from the
 * table below: the consumed and produced topic lists, the trigger and event types, the diagram.
 * - Replies are what the peers send; each is a consumed topic (`schemas/<name>.avsc`).
 * - Commands come from this service itself: intake, the cancel API, the deadline sweeper.
 * - Events are what the service emits; each is a produced topic.
 */
export const SAGA_VOCABULARY = {
  replies: [
    'payment_successful',
    'payment_failed',
    'inventory_reserved',
    'inventory_reservation_failed',
    'payment_refunded',
  ],
  commands: ['place_order', 'cancel', 'deadline_passed'],
  events: [
    'process_payment_request',
    'reserve_inventory_request',
    'refund_payment_request',
    'release_inventory_request',
    'order_confirmed',
    'order_failed',
    'order_cancelled',
  ],
} as const;

export type ReplyTrigger = (typeof SAGA_VOCABULARY.replies)[number];
export type CommandTrigger = (typeof SAGA_VOCABULARY.commands)[number];
/** What can move an order: a peer's reply, or a command of this service's own. */
export type SagaTrigger = ReplyTrigger | CommandTrigger;
/** Events the order service emits; each is one topic and one `schemas/<name>.avsc`. */
export type EmittedEvent = (typeof SAGA_VOCABULARY.events)[number];

/** Where an order comes from: the first row creates it. Drawn as `[*]` in the diagram. */
export const NEW_ORDER = 'NEW';
export type SagaState = OrderStatus | typeof NEW_ORDER;

/**
 * Extra condition on a row; rows for the same state and trigger differ by their guard, and the
 * first row whose guard holds applies.
 * - `payment_matches` / `payment_mismatch`: the payment took exactly the order's total, in its
 *   currency (a reply without a currency never gets here: it is an invalid record), or it did not.
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
  from: SagaState;
  trigger: SagaTrigger;
  to: OrderStatus;
  emit: readonly EmittedEvent[];
  when?: SagaGuard;
}

/**
 * THE saga. Every status change and every event the service emits is one row here; anything
 * not listed is ignored (recorded and counted, never applied). docs/saga.md's state diagram and
 * table are generated from this table (`npm run docs:saga`), and a test keeps them in step.
 *
 * A refund or release a row emits undoes what the triggering reply reported (its payment, with
 * the amount and currency it says it took, or its reservation) when the trigger is that reply,
 * and the order's own payment otherwise. A reply the row undoes never becomes the order's.
 */
// prettier-ignore
export const SAGA_TRANSITIONS: readonly SagaTransition[] = [
  // Intake.
  { from: 'NEW', trigger: 'place_order', to: 'PENDING', emit: ['process_payment_request'] },

  // The happy path.
  { from: 'PENDING', trigger: 'payment_successful', to: 'INVENTORY_RESERVING', emit: ['reserve_inventory_request'], when: 'payment_matches' },
  { from: 'INVENTORY_RESERVING', trigger: 'inventory_reserved', to: 'CONFIRMED', emit: ['order_confirmed'] },

  // Failures, and compensation of a payment already taken.
  { from: 'PENDING', trigger: 'payment_successful', to: 'FAILED', emit: ['refund_payment_request', 'order_failed'], when: 'payment_mismatch' },
  { from: 'PENDING', trigger: 'payment_failed', to: 'FAILED', emit: ['order_failed'] },
  { from: 'INVENTORY_RESERVING', trigger: 'inventory_reservation_failed', to: 'COMPENSATING', emit: ['refund_payment_request'] },
  { from: 'COMPENSATING', trigger: 'payment_refunded', to: 'FAILED', emit: ['order_failed'], when: 'order_payment' },

  // Cancellation by the customer, before confirmation.
  { from: 'PENDING', trigger: 'cancel', to: 'CANCELLED', emit: ['order_cancelled'] },
  { from: 'INVENTORY_RESERVING', trigger: 'cancel', to: 'CANCELLED', emit: ['order_cancelled', 'refund_payment_request'] },
  { from: 'COMPENSATING', trigger: 'cancel', to: 'CANCELLED', emit: ['order_cancelled'] },

  // Step deadlines (the sweeper).
  { from: 'PENDING', trigger: 'deadline_passed', to: 'FAILED', emit: ['order_failed'] },
  { from: 'INVENTORY_RESERVING', trigger: 'deadline_passed', to: 'COMPENSATING', emit: ['refund_payment_request'] },

  // Late or extra replies after the order has its payment or left the step: undo what they
  // did, keep the status. A second payment is a double charge whatever the status.
  { from: 'INVENTORY_RESERVING', trigger: 'payment_successful', to: 'INVENTORY_RESERVING', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'COMPENSATING', trigger: 'payment_successful', to: 'COMPENSATING', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'CONFIRMED', trigger: 'payment_successful', to: 'CONFIRMED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'CANCELLED', trigger: 'payment_successful', to: 'CANCELLED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'FAILED', trigger: 'payment_successful', to: 'FAILED', emit: ['refund_payment_request'], when: 'unknown_payment' },
  { from: 'COMPENSATING', trigger: 'inventory_reserved', to: 'COMPENSATING', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'CONFIRMED', trigger: 'inventory_reserved', to: 'CONFIRMED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'CANCELLED', trigger: 'inventory_reserved', to: 'CANCELLED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
  { from: 'FAILED', trigger: 'inventory_reserved', to: 'FAILED', emit: ['release_inventory_request'], when: 'unknown_reservation' },
];

/**
 * The deadline policy: the statuses in which an order waits on a peer, the step it waits for,
 * and so which setting bounds the wait. Entering one of them sets the order's step deadline;
 * `deadline_passed` then applies through the table. COMPENSATING has none on purpose: a refund
 * that never comes is for an operator, not for an automatic retry.
 */
export const STEP_DEADLINES = {
  PENDING: 'payment',
  INVENTORY_RESERVING: 'inventory',
} as const satisfies Partial<Record<OrderStatus, string>>;

export type WaitingStep = (typeof STEP_DEADLINES)[keyof typeof STEP_DEADLINES];
/** How long each step may take, in milliseconds (SAGA_PAYMENT/INVENTORY_TIMEOUT_MS). */
export type StepTimeouts = Record<WaitingStep, number>;

export function waitingStepOf(status: OrderStatus): WaitingStep | null {
  return (STEP_DEADLINES as Partial<Record<OrderStatus, WaitingStep>>)[status] ?? null;
}

/** When the step an order now waits on times out; null when it waits on nothing. */
export function stepDeadline(
  step: WaitingStep | null,
  now: Date,
  timeouts: StepTimeouts,
): Date | null {
  return step === null ? null : new Date(now.getTime() + timeouts[step]);
}

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['CONFIRMED', 'FAILED', 'CANCELLED'];
