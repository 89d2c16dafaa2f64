import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { NotFoundError } from '../shared/app-error';
import { parseOrThrow } from '../shared/validation';
import { safeText } from '../shared/safe-text';
import {
  defaultCancellationReason,
  mayAccessOrder,
  OPERATOR_ROLE_NAME,
  type Caller,
} from './access-policy';
import {
  auditResult,
  orderTarget,
  type OperatorAction,
  type OperatorChannel,
} from './operator-audit';
import type { OrderStatus } from './order-status';
import { saveDecision } from './apply-decision';
import type { OrderView } from './order-view';
import { decide } from './saga-decider';
import { OrderNotCancellableError } from './saga-errors';
import type { SagaStore } from './saga-store';
import { SAGA_TRANSITIONS, type StepTimeouts } from './saga-transitions';

/** The body of `POST /api/v1/orders/{id}/cancel`, which may be left out. */
export const cancelBodySchema = z.strictObject({
  reason: safeText().trim().min(1).max(500).optional(),
});

export interface CancelOrderDependencies {
  saga: SagaStore;
  timeouts: StepTimeouts;
  now?: () => Date;
  /** Where an operator's cancel came from, as its audit row says: the API or the console. */
  via?: OperatorChannel;
}

/** Whether an order in this status can still be cancelled: the transition table has the row. */
export function isCancellable(status: OrderStatus): boolean {
  return SAGA_TRANSITIONS.some((row) => row.from === status && row.trigger === 'cancel');
}

/**
 * Cancels an order that is not yet confirmed, through the same transition table as the
 * consumer, so the compensation owed (a refund once paid) is emitted with the cancellation; in
 * one transaction, which also reads the order it answers with. Someone else's order is
 * answered as unknown (404), as for reading it.
 */
export async function cancelOrder(
  { saga, timeouts, now = () => new Date(), via = 'api' }: CancelOrderDependencies,
  caller: Caller,
  orderId: string,
  body: unknown,
): Promise<OrderView> {
  const input = parseOrThrow(cancelBodySchema.optional(), body, 'The cancellation is not valid');
  const reason = input?.reason ?? defaultCancellationReason(caller);
  const audited = (result: string): OperatorAction[] =>
    caller.kind === 'operator'
      ? [
          {
            actor: caller.subject,
            role: OPERATOR_ROLE_NAME,
            via,
            action: 'cancel',
            target: orderTarget(orderId),
            reason,
            result,
          },
        ]
      : [];
  try {
    return await saga.transaction(async (unit) => {
      const order = (await unit.lockOrders([orderId])).get(orderId);
      if (!order || !mayAccessOrder(caller, order)) {
        throw new NotFoundError(`No order has id ${orderId}`);
      }
      const at = now();
      const decision = decide(
        order,
        { trigger: 'cancel', reason },
        { now: at, newEventId: randomUUID },
      );
      if (decision.kind === 'ignore') {
        throw new OrderNotCancellableError(
          `The order is ${order.status} and can no longer be cancelled`,
          { details: { currentStatus: order.status } },
        );
      }
      await saveDecision(unit, order, decision, { causingEventId: null, now: at, timeouts });
      // In the same transaction: an operator's cancel is never without its audit row.
      await unit.recordOperatorActions(audited(auditResult('done')));
      return (await unit.view(orderId)) as OrderView;
    });
  } catch (error) {
    // A refused attempt is audited too (an operator probing orders leaves a trace).
    if (error instanceof NotFoundError || error instanceof OrderNotCancellableError) {
      const refused = audited(auditResult('refused', error.message));
      if (refused.length > 0) await saga.transaction((unit) => unit.recordOperatorActions(refused));
    }
    throw error;
  }
}
