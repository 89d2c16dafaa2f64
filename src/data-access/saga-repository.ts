import { randomUUID } from 'node:crypto';
import type { Database } from './prisma-client-factory';
import type { Prisma } from '../generated/prisma/client';
import { decide, type SagaDecision, type SagaInput, type SagaOrder } from '../domain/saga-decider';
import { AppError } from '../shared/app-error';

export type EventOutcome = 'applied' | 'compensated' | 'ignored' | 'duplicate';

/** What an event did, and for an ignored one, why. */
export interface EventResult {
  outcome: EventOutcome;
  reason?: string;
}

export interface InboundEventRef {
  eventId: string;
  topic: string;
  orderId: string;
}

export interface StepTimeouts {
  paymentMs: number;
  inventoryMs: number;
}

/** The event names an order this service never created. Not retriable: it goes to the DLQ. */
export class UnknownOrderError extends AppError {
  constructor(readonly orderId: string) {
    super('unknown-order', `No order has id ${orderId}`, 404);
  }
}

/**
 * An event id already processed for another topic or another order: not a redelivery, so not
 * to be dropped as one. Not retriable: it goes to the DLQ for someone to look at.
 */
export class EventIdCollisionError extends AppError {
  constructor(event: InboundEventRef, seen: { topic: string; orderId: string | null } | null) {
    super(
      'event-id-collision',
      `Event id ${event.eventId} (${event.topic}, order ${event.orderId}) was already processed ` +
        `for ${seen?.topic ?? 'another topic'}, order ${seen?.orderId ?? 'unknown'}`,
      409,
    );
  }
}

/** Someone else changed the order between our read and write; trying again will succeed. */
export class ConcurrentUpdateError extends AppError {
  constructor(orderId: string) {
    super('concurrent-update', `Order ${orderId} changed concurrently`, 409, true);
  }
}

type Tx = Prisma.TransactionClient;

/**
 * Applies saga inputs to orders. Each call is ONE transaction: dedupe on the event id, lock the
 * order row (so one order's inputs apply one at a time whoever sends them), decide from the
 * transition table, write the order, its history and its outbox rows, and record the event.
 */
export function createSagaRepository(db: Database, timeouts: StepTimeouts) {
  async function applyLocked(
    tx: Tx,
    orderId: string,
    input: SagaInput,
    causingEventId: string | null,
    now: Date,
  ): Promise<SagaDecision> {
    const row = await tx.order.findUnique({
      where: { id: orderId },
      include: {
        items: { orderBy: { position: 'asc' } },
        effects: { select: { kind: true, reference: true } },
      },
    });
    if (!row) throw new UnknownOrderError(orderId);
    const known = (kind: 'payment' | 'reservation') =>
      new Set(row.effects.filter((e) => e.kind === kind).map((e) => e.reference));
    const order: SagaOrder = {
      ...row,
      totalAmount: Number(row.totalAmount),
      paidAmount: row.paidAmount === null ? null : Number(row.paidAmount),
      knownPayments: known('payment'),
      knownReservations: known('reservation'),
    };
    const decision = decide(order, input, { now, newEventId: randomUUID });
    if (decision.kind === 'ignore') return decision;

    const { waitingStep, ...changes } = decision.changes;
    const timeoutMs = waitingStep === 'payment' ? timeouts.paymentMs : timeouts.inventoryMs;
    const updated = await tx.order.updateMany({
      where: { id: orderId, version: row.version },
      data: {
        ...changes,
        paidAmount: changes.paidAmount === undefined ? undefined : BigInt(changes.paidAmount),
        stepDeadlineAt: waitingStep ? new Date(now.getTime() + timeoutMs) : null,
        version: { increment: 1 },
      },
    });
    if (updated.count !== 1) throw new ConcurrentUpdateError(orderId);
    await tx.orderStatusHistory.create({
      data: {
        orderId,
        fromStatus: row.status,
        toStatus: changes.status,
        reason: decision.reason,
        causingEventId,
      },
    });
    if (decision.effect) {
      const { effect } = decision;
      await tx.orderEffect.create({
        data: {
          orderId,
          kind: effect.kind,
          reference: effect.reference,
          eventId: effect.eventId,
          ...(effect.kind === 'payment'
            ? { amount: BigInt(effect.amount), currency: effect.currency }
            : {}),
        },
      });
    }
    await tx.outboxMessage.createMany({
      data: decision.emit.map(({ topic, payload }) => ({
        eventId: payload.eventId,
        orderId,
        topic,
        key: orderId,
        payload: payload as unknown as Prisma.InputJsonValue,
      })),
    });
    return decision;
  }

  return {
    /** A peer's event, exactly once in effect however often it is delivered. */
    async handleEvent(
      event: InboundEventRef,
      input: SagaInput,
      now = new Date(),
    ): Promise<EventResult> {
      return db.$transaction(async (tx) => {
        const fresh = await tx.$executeRaw`
          INSERT INTO processed_events (event_id, topic, order_id)
          VALUES (${event.eventId}, ${event.topic}, ${event.orderId}::uuid)
          ON CONFLICT (event_id) DO NOTHING`;
        if (fresh === 0) {
          const seen = await tx.processedEvent.findUnique({ where: { eventId: event.eventId } });
          if (seen && seen.topic === event.topic && seen.orderId === event.orderId) {
            return { outcome: 'duplicate' };
          }
          throw new EventIdCollisionError(event, seen);
        }
        await tx.$executeRaw`SELECT 1 FROM orders WHERE id = ${event.orderId}::uuid FOR UPDATE`;
        const decision = await applyLocked(tx, event.orderId, input, event.eventId, now);
        const outcome: EventOutcome =
          decision.kind === 'ignore'
            ? 'ignored'
            : decision.from === decision.changes.status
              ? 'compensated'
              : 'applied';
        if (outcome !== 'applied') {
          await tx.processedEvent.update({ where: { eventId: event.eventId }, data: { outcome } });
        }
        return { outcome, reason: decision.reason };
      });
    },

    /** A command from the API (cancel): same rules, no event to dedupe. */
    async applyCommand(orderId: string, input: SagaInput, now = new Date()): Promise<SagaDecision> {
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
        return applyLocked(tx, orderId, input, null, now);
      });
    },

    /** Ids of orders whose step deadline has passed, oldest first. */
    async dueOrders(now: Date, limit: number): Promise<string[]> {
      const rows = await db.order.findMany({
        where: { stepDeadlineAt: { lte: now } },
        orderBy: { stepDeadlineAt: 'asc' },
        take: limit,
        select: { id: true },
      });
      return rows.map((row) => row.id);
    },

    /**
     * Times out one order if it is still past its deadline and nobody else holds it. SKIP LOCKED
     * means instances sweeping together, or a consumer applying a reply, never wait on each other.
     */
    async expireIfDue(orderId: string, now = new Date()): Promise<SagaDecision | null> {
      return db.$transaction(async (tx) => {
        const claimed = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM orders WHERE id = ${orderId}::uuid AND step_deadline_at <= ${now}
          FOR UPDATE SKIP LOCKED`;
        if (claimed.length === 0) return null;
        return applyLocked(tx, orderId, { trigger: 'deadline_passed' }, null, now);
      });
    },
  };
}

export type SagaRepository = ReturnType<typeof createSagaRepository>;
