import { z } from 'zod';
import { ConflictError, NotFoundError } from '../shared/app-error';
import { parseOrThrow } from '../shared/validation';
import { safeText } from '../shared/safe-text';
import type { OrderRepository } from '../data-access/order-repository';
import { UnknownOrderError, type SagaRepository } from '../data-access/saga-repository';
import type { OrderView } from './order-view';
import { defaultCancellationReason, mayAccessOrder, type Caller } from './access-policy';

const cancelBodySchema = z
  .strictObject({ reason: safeText().trim().min(1).max(500).optional() })
  .optional();

export interface CancelOrderDependencies {
  orders: OrderRepository;
  saga: SagaRepository;
}

/**
 * Cancels an order that is not yet confirmed, through the same transition table as the
 * consumer, so the compensation owed (a refund once paid) is emitted with the cancellation.
 * Someone else's order is answered as unknown (404), as for reading it.
 */
export async function cancelOrder(
  { orders, saga }: CancelOrderDependencies,
  caller: Caller,
  orderId: string,
  body: unknown,
): Promise<OrderView> {
  const input = parseOrThrow(cancelBodySchema, body, 'The cancellation is not valid');
  const current = await orders.findById(orderId);
  if (!current || !mayAccessOrder(caller, current)) {
    throw new NotFoundError(`No order has id ${orderId}`);
  }
  const reason = input?.reason ?? defaultCancellationReason(caller);
  const decision = await saga
    .applyCommand(orderId, { trigger: 'cancel', reason })
    .catch((error) => {
      throw error instanceof UnknownOrderError ? new NotFoundError(error.message) : error;
    });
  const order = await orders.findById(orderId);
  if (!order) throw new NotFoundError(`No order has id ${orderId}`);
  if (decision.kind === 'ignore') {
    throw new ConflictError(
      'order-not-cancellable',
      `The order is ${order.status} and can no longer be cancelled`,
      { currentStatus: order.status },
    );
  }
  return order;
}
