import { randomUUID } from 'node:crypto';
import { saveDecision } from './apply-decision';
import { decide } from './saga-decider';
import type { SagaState, StepTimeouts } from './saga-transitions';
import type { OrderStatus } from './order-status';
import type { SagaStore } from './saga-store';

export interface ExpiredOrder {
  orderId: string;
  from: SagaState;
  to: OrderStatus;
}

/**
 * Applies `deadline_passed` to up to `limit` orders past their step deadline, in one
 * transaction. Orders another instance (or a reply being applied) holds are skipped, not
 * waited for, so sweepers never act on the same order and never block the consumer.
 */
export async function expireDeadlines(
  { saga, timeouts }: { saga: SagaStore; timeouts: StepTimeouts },
  now: Date,
  limit: number,
): Promise<ExpiredOrder[]> {
  return saga.transaction(async (unit) => {
    const expired: ExpiredOrder[] = [];
    for (const order of await unit.lockDueOrders(now, limit)) {
      const decision = decide(
        order,
        { trigger: 'deadline_passed' },
        { now, newEventId: randomUUID },
      );
      if (decision.kind === 'ignore') continue;
      await saveDecision(unit, order, decision, { causingEventId: null, now, timeouts });
      expired.push({ orderId: order.id, from: decision.from, to: decision.changes.status });
    }
    return expired;
  });
}
