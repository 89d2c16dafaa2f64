import type { OperatorAction } from './operator-audit';
import type { OrderView } from './order-view';
import type { SagaDecision, SagaOrder } from './saga-model';

/** A reply as the consumer hands it over: which event, from which topic, about which order. */
export interface InboundEventRef {
  eventId: string;
  topic: string;
  orderId: string;
}

/** What claiming an event id found. */
export type EventClaim =
  | { kind: 'fresh' }
  | { kind: 'duplicate' }
  /** Already processed, but for another topic or order: not a redelivery. */
  | { kind: 'collision'; seen: { topic: string; orderId: string | null } };

/** What an applied or ignored event did, recorded beside its claim. */
export type EventOutcome = 'applied' | 'compensated' | 'ignored' | 'duplicate';

/** One decision to persist: the order as it was, what changes, and why. */
export interface SagaChange {
  order: SagaOrder;
  decision: Extract<SagaDecision, { kind: 'apply' }>;
  causingEventId: string | null;
  stepDeadlineAt: Date | null;
}

/**
 * The work of one transaction. Orders are locked when loaded and stay locked until it ends, so
 * one order's inputs apply one at a time whoever sends them (consumer, API, sweeper).
 */
export interface SagaUnitOfWork {
  /** Locks and loads these orders; ids without an order are absent from the map. */
  lockOrders(orderIds: readonly string[]): Promise<Map<string, SagaOrder>>;
  /** Locks and loads up to `limit` orders past their step deadline that nobody else holds. */
  lockDueOrders(now: Date, limit: number): Promise<SagaOrder[]>;
  /** Records each event id as processed, or says why it cannot be. */
  claimEvents(events: readonly InboundEventRef[]): Promise<EventClaim[]>;
  /** Takes back fresh claims of events this transaction decided not to apply after all. */
  releaseClaims(eventIds: readonly string[]): Promise<void>;
  /** Writes the order, its history, its outbox events and the effect the reply reported. */
  save(change: SagaChange): Promise<void>;
  /** Records what each claimed event did (claims start as `applied`). */
  recordOutcome(eventId: string, outcome: EventOutcome): Promise<void>;
  /** Appends rows to the operators' audit, in this transaction. */
  recordOperatorActions(actions: readonly OperatorAction[]): Promise<void>;
  /** The order as REST clients see it, as this transaction sees it. */
  view(orderId: string): Promise<OrderView | null>;
}

/** The port through which the saga use cases change orders. */
export interface SagaStore {
  /** Runs `work` in one transaction: all of it is stored, or none. */
  transaction<T>(work: (unit: SagaUnitOfWork) => Promise<T>): Promise<T>;
}
