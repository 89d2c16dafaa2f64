import { orderAfter } from './saga-decider';
import type { SagaDecision, SagaOrder } from './saga-model';
import type { SagaUnitOfWork } from './saga-store';
import { stepDeadline, type StepTimeouts } from './saga-transitions';

/**
 * Persists an applied decision in the unit of work, with the step deadline its new status sets,
 * and returns the order as it now is.
 */
export async function saveDecision(
  unit: SagaUnitOfWork,
  order: SagaOrder,
  decision: Extract<SagaDecision, { kind: 'apply' }>,
  {
    causingEventId,
    now,
    timeouts,
  }: { causingEventId: string | null; now: Date; timeouts: StepTimeouts },
): Promise<SagaOrder> {
  const stepDeadlineAt = stepDeadline(decision.changes.waitingStep, now, timeouts);
  await unit.save({ order, decision, causingEventId, stepDeadlineAt });
  return orderAfter(order, decision);
}
