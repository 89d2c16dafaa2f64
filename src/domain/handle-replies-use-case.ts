import { randomUUID } from 'node:crypto';
import type { AppError } from '../shared/app-error';
import { saveDecision } from './apply-decision';
import { decide } from './saga-decider';
import { EventIdCollisionError, UnknownOrderError } from './saga-errors';
import type { ReplyInput, SagaOrder } from './saga-model';
import type { EventOutcome, InboundEventRef, SagaStore } from './saga-store';
import type { StepTimeouts } from './saga-transitions';

/** A peer's reply, decoded and validated: which event it is, and what it says. */
export interface SagaReply {
  ref: InboundEventRef;
  input: ReplyInput;
}

/** What a reply did, or why it cannot be processed (it goes to the DLQ). */
export type ReplyResult = { outcome: EventOutcome; reason?: string } | { rejected: AppError };

export interface HandleRepliesDependencies {
  saga: SagaStore;
  timeouts: StepTimeouts;
  now?: () => Date;
}

/**
 * Applies peers' replies, in order, in ONE transaction, exactly once in effect however often
 * they are delivered: lock the orders they name, claim their event ids (a duplicate stops
 * there), decide from the transition table, and persist what changed. A reply for an order
 * that does not exist, or whose event id was used for something else, is rejected, not
 * applied; the others still are. Later replies for the same order see what earlier ones did.
 */
export async function handleReplies(
  { saga, timeouts, now = () => new Date() }: HandleRepliesDependencies,
  replies: readonly SagaReply[],
): Promise<ReplyResult[]> {
  return saga.transaction(async (unit) => {
    const at = now();
    const orderIds = [...new Set(replies.map(({ ref }) => ref.orderId))].sort();
    const orders = await unit.lockOrders(orderIds);
    const results: ReplyResult[] = replies.map(({ ref }) =>
      orders.has(ref.orderId)
        ? { outcome: 'applied' }
        : { rejected: new UnknownOrderError(ref.orderId) },
    );
    const claimable = replies.filter((_, index) => !('rejected' in results[index]!));
    const claims = await unit.claimEvents(claimable.map(({ ref }) => ref));
    let next = 0;
    for (const [index, { ref, input }] of replies.entries()) {
      if ('rejected' in results[index]!) continue;
      const claim = claims[next++]!;
      if (claim.kind === 'duplicate') {
        results[index] = { outcome: 'duplicate' };
        continue;
      }
      if (claim.kind === 'collision') {
        results[index] = {
          rejected: new EventIdCollisionError(
            `Event id ${ref.eventId} (${ref.topic}, order ${ref.orderId}) was already processed ` +
              `for ${claim.seen.topic}, order ${claim.seen.orderId ?? 'unknown'}`,
          ),
        };
        continue;
      }
      const order = orders.get(ref.orderId) as SagaOrder;
      const decision = decide(order, input, { now: at, newEventId: randomUUID });
      if (decision.kind === 'ignore') {
        await unit.recordOutcome(ref.eventId, 'ignored');
        results[index] = { outcome: 'ignored', reason: decision.reason };
        continue;
      }
      const after = await saveDecision(unit, order, decision, {
        causingEventId: ref.eventId,
        now: at,
        timeouts,
      });
      orders.set(ref.orderId, after);
      const outcome = decision.from === decision.changes.status ? 'compensated' : 'applied';
      if (outcome !== 'applied') await unit.recordOutcome(ref.eventId, outcome);
      results[index] = { outcome, reason: decision.reason };
    }
    return results;
  });
}
