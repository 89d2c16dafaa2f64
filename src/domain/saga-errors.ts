import { withCode } from '../shared/app-error';

/** A reply names an order this service never created: for an operator, via the DLQ. */
export class UnknownOrderError extends withCode('unknown-order') {
  constructor(readonly orderId: string) {
    super(`No order has id ${orderId}`);
  }
}
/**
 * An event id already processed for another topic or another order: not a redelivery, so not
 * to be dropped as one. For someone to look at, via the DLQ.
 */
export class EventIdCollisionError extends withCode('event-id-collision') {}
/** Someone else changed the order between our read and write; trying again will succeed. */
export class ConcurrentUpdateError extends withCode('concurrent-update', { retriable: true }) {}
/** The order's status has no cancellation row: it is confirmed or already over. */
export class OrderNotCancellableError extends withCode('order-not-cancellable') {}
