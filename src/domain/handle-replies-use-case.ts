import { randomUUID } from 'node:crypto';
import type { AppError } from '../shared/app-error';
import { saveDecision } from './apply-decision';
import { decide } from './saga-decider';
import { EventIdCollisionError, UnknownOrderError } from './saga-errors';
import type { ReplyInput, SagaOrder } from './saga-model';
import type { EventClaim, EventOutcome, InboundEventRef, SagaStore } from './saga-store';
import type { StepTimeouts } from './saga-transitions';

/** A peer's reply, decoded and validated: which event it is, and what it says. */
export interface SagaReply {
  ref: InboundEventRef;
  input: ReplyInput;
}

/**
 * What a reply did; or why it cannot be processed (it goes to the DLQ); or, for the replies
 * after a rejected one, that they were left for later: nothing behind a rejected reply is
 * applied before the rejected one is dealt with.
 */
export type ReplyResult =
  { outcome: EventOutcome; reason?: string } | { rejected: AppError } | { deferred: true };

export interface HandleRepliesDependencies {
  saga: SagaStore;
  timeouts: StepTimeouts;
  now?: () => Date;
}

/**
 * Applies peers' replies, in order, in ONE transaction, exactly once in effect however often
 * they are delivered: lock the orders they name, claim their event ids (a duplicate stops
 * there), decide from the transition table, and persist what changed. Later replies for the
 * same order see what earlier ones did. The first reply that cannot be processed (an order
 * that does not exist, an event id used for something else) is rejected, and the replies after
 * it are deferred, neither claimed nor applied.
 */
export async function handleReplies(
  { saga, timeouts, now = () => new Date() }: HandleRepliesDependencies,
  replies: readonly SagaReply[],
): Promise<ReplyResult[]> {
  return saga.transaction(async (unit) => {
    const at = now();
    const orders = await unit.lockOrders([...new Set(replies.map(({ ref }) => ref.orderId))]);
    const unknown = replies.findIndex(({ ref }) => !orders.has(ref.orderId));
    let cut = unknown < 0 ? replies.length : unknown;
    let rejection: AppError | undefined =
      unknown < 0 ? undefined : new UnknownOrderError(replies[unknown]!.ref.orderId);
    const claims = await unit.claimEvents(replies.slice(0, cut).map(({ ref }) => ref));
    const collision = claims.findIndex((claim) => claim.kind === 'collision');
    if (collision >= 0) {
      const claim = claims[collision] as Extract<EventClaim, { kind: 'collision' }>;
      const { ref } = replies[collision]!;
      rejection = new EventIdCollisionError(
        `Event id ${ref.eventId} (${ref.topic}, order ${ref.orderId}) was already processed ` +
          `for ${claim.seen.topic}, order ${claim.seen.orderId ?? 'unknown'}`,
      );
      // Claimed, but behind the collision: they wait, so give their event ids back.
      const claimedBehind = replies
        .slice(collision + 1, cut)
        .filter((_, index) => claims[collision + 1 + index]?.kind === 'fresh');
      await unit.releaseClaims(claimedBehind.map(({ ref }) => ref.eventId));
      cut = collision;
    }
    const results: ReplyResult[] = [];
    for (const [index, { ref, input }] of replies.slice(0, cut).entries()) {
      if (claims[index]?.kind === 'duplicate') {
        results.push({ outcome: 'duplicate' });
        continue;
      }
      const order = orders.get(ref.orderId) as SagaOrder;
      const decision = decide(order, input, { now: at, newEventId: randomUUID });
      if (decision.kind === 'ignore') {
        await unit.recordOutcome(ref.eventId, 'ignored');
        results.push({ outcome: 'ignored', reason: decision.reason });
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
      results.push({ outcome, reason: decision.reason });
    }
    if (rejection) results.push({ rejected: rejection });
    while (results.length < replies.length) results.push({ deferred: true });
    return results;
  });
}
