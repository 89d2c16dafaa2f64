import type { OrderStatus } from './order-status';
import type { OutgoingEvent } from './saga-events';
import type { SagaState, SagaTrigger, WaitingStep } from './saga-transitions';

/** What the saga needs to know about an order to decide. Amounts in minor units. */
export interface SagaOrder {
  id: string;
  /** `NEW` for an order being placed: it does not exist yet. */
  status: SagaState;
  customerId: string;
  currency: string;
  totalAmount: number;
  failureReason: string | null;
  paymentId: string | null;
  paidAmount: number | null;
  reservationId: string | null;
  items: readonly { productId: string; quantity: number }[];
  /** Optimistic concurrency: every applied change increments it. */
  version: number;
  /** Every payment and reservation the peers reported for the order (order_effects). */
  knownPayments: ReadonlySet<string>;
  knownReservations: ReadonlySet<string>;
}

/** One input to the saga; `trigger` names its row in the table. */
export type SagaInput =
  | { trigger: 'place_order' }
  | {
      trigger: 'payment_successful';
      eventId: string;
      paymentId: string;
      amount: number;
      /** What the payment service says it took; required, never assumed to be the order's. */
      currency: string;
    }
  | { trigger: 'payment_failed'; eventId: string; reason: string }
  | { trigger: 'inventory_reserved'; eventId: string; reservationId: string }
  | { trigger: 'inventory_reservation_failed'; eventId: string; reason: string }
  | { trigger: 'payment_refunded'; eventId: string; paymentId: string }
  | { trigger: 'cancel'; reason: string }
  | { trigger: 'deadline_passed' };

/** A reply from a peer: the inputs that arrive as Kafka records, with their event id. */
export type ReplyInput = Extract<SagaInput, { eventId: string }>;

export interface OrderChanges {
  status: OrderStatus;
  failureReason?: string;
  paymentId?: string;
  paidAmount?: number;
  reservationId?: string;
  /** The step the order now waits on, if any; it becomes a deadline. */
  waitingStep: WaitingStep | null;
}

/** A payment or reservation a peer reported, to be remembered once (order_effects). */
export type PeerEffect =
  | { kind: 'payment'; reference: string; amount: number; currency: string; eventId: string }
  | { kind: 'reservation'; reference: string; eventId: string };

export type SagaDecision =
  | {
      kind: 'apply';
      from: SagaState;
      /** The row's trigger: with `from` and `changes.status`, which row of the table applied. */
      trigger: SagaTrigger;
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
