import { withCode } from '../shared/app-error';
import type { PricedOrder } from './order-pricing';
import type { OrderStatus } from './order-status';
import type { OrderView } from './order-view';
import type { OutgoingEvent } from './saga-events';

/** An order as intake stores it: priced, PENDING, with its idempotency key if any. */
export interface NewOrderRecord extends PricedOrder {
  id: string;
  customerId: string;
  currency: string;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** When the payment step times out (the saga's first deadline). */
  stepDeadlineAt: Date;
  /** Why the first history row exists. */
  reason: string;
}

/** A just-stored order as clients see it: PENDING, version 0, created and updated at `createdAt`. */
export function newOrderView(order: NewOrderRecord, createdAt: string): OrderView {
  return {
    id: order.id,
    status: 'PENDING',
    customerId: order.customerId,
    currency: order.currency,
    totalAmount: order.totalAmount,
    items: order.items.map(({ productId, productName, quantity, unitPrice, lineTotal }) => ({
      productId,
      productName,
      quantity,
      unitPrice,
      lineTotal,
    })),
    failureReason: null,
    version: 0,
    createdAt,
    updatedAt: createdAt,
  };
}

export interface OrderListQuery {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  after?: { createdAt: Date; id: string };
}

/** Another request already created the order for this customer and idempotency key. */
export class DuplicateIdempotencyKeyError extends withCode('duplicate-idempotency-key') {}

/** The port through which the order use cases store and read orders. */
export interface OrderStore {
  /**
   * Stores the order, its items, its first history row and its outbox events, atomically.
   * Throws DuplicateIdempotencyKeyError when the customer's key is taken.
   */
  insertNewOrder(order: NewOrderRecord, events: readonly OutgoingEvent[]): Promise<OrderView>;
  findByIdempotencyKey(
    customerId: string,
    idempotencyKey: string,
  ): Promise<{ order: OrderView; requestHash: string | null } | null>;
  /** The order with its status history. */
  findById(id: string): Promise<OrderView | null>;
  /** Newest first, keyset-paginated on (createdAt, id). */
  list(query: OrderListQuery): Promise<{ orders: OrderView[]; hasMore: boolean }>;
}
