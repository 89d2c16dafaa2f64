import type { Database } from './prisma-client-factory';
import type { Prisma } from '../generated/prisma/client';
import { ConcurrentUpdateError } from '../domain/saga-errors';
import type { SagaOrder } from '../domain/saga-model';
import type { EventClaim, SagaStore, SagaUnitOfWork } from '../domain/saga-store';
import { translateDatabaseErrors } from './database-errors';
import { toOrderView } from './order-mapper';

type Tx = Prisma.TransactionClient;

const SAGA_ORDER_SHAPE = {
  items: { orderBy: { position: 'asc' } },
  effects: { select: { kind: true, reference: true } },
} as const satisfies Prisma.OrderInclude;

type SagaOrderRow = Prisma.OrderGetPayload<{ include: typeof SAGA_ORDER_SHAPE }>;

function toSagaOrder(row: SagaOrderRow): SagaOrder {
  const known = (kind: 'payment' | 'reservation') =>
    new Set(row.effects.filter((effect) => effect.kind === kind).map((e) => e.reference));
  return {
    ...row,
    totalAmount: Number(row.totalAmount),
    paidAmount: row.paidAmount === null ? null : Number(row.paidAmount),
    knownPayments: known('payment'),
    knownReservations: known('reservation'),
  };
}

function unitOfWork(tx: Tx): SagaUnitOfWork {
  const load = async (ids: string[]) =>
    ids.length === 0
      ? []
      : (await tx.order.findMany({ where: { id: { in: ids } }, include: SAGA_ORDER_SHAPE })).map(
          toSagaOrder,
        );
  return {
    async lockOrders(orderIds) {
      // Row locks in id order, so two transactions locking the same orders cannot deadlock.
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM orders WHERE id = ANY(${[...orderIds].sort()}::uuid[]) ORDER BY id FOR UPDATE`;
      const orders = await load(locked.map((row) => row.id));
      return new Map(orders.map((order) => [order.id, order]));
    },

    async lockDueOrders(now, limit) {
      const due = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM orders WHERE step_deadline_at <= ${now}
        ORDER BY step_deadline_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      return load(due.map((row) => row.id));
    },

    async claimEvents(events) {
      const claims: EventClaim[] = [];
      for (const event of events) {
        const fresh = await tx.$executeRaw`
          INSERT INTO processed_events (event_id, topic, order_id)
          VALUES (${event.eventId}, ${event.topic}, ${event.orderId}::uuid)
          ON CONFLICT (event_id) DO NOTHING`;
        if (fresh === 1) {
          claims.push({ kind: 'fresh' });
          continue;
        }
        const seen = await tx.processedEvent.findUnique({ where: { eventId: event.eventId } });
        claims.push(
          seen && seen.topic === event.topic && seen.orderId === event.orderId
            ? { kind: 'duplicate' }
            : {
                kind: 'collision',
                seen: { topic: seen?.topic ?? 'unknown', orderId: seen?.orderId ?? null },
              },
        );
      }
      return claims;
    },

    async save({ order, decision, causingEventId, stepDeadlineAt }) {
      const { waitingStep: _waitingStep, ...changes } = decision.changes;
      const updated = await tx.order.updateMany({
        where: { id: order.id, version: order.version },
        data: {
          ...changes,
          paidAmount: changes.paidAmount === undefined ? undefined : BigInt(changes.paidAmount),
          stepDeadlineAt,
          version: { increment: 1 },
        },
      });
      if (updated.count !== 1) {
        throw new ConcurrentUpdateError(`Order ${order.id} changed concurrently`);
      }
      await tx.orderStatusHistory.create({
        data: {
          orderId: order.id,
          fromStatus: order.status === 'NEW' ? null : order.status,
          toStatus: changes.status,
          reason: decision.reason,
          causingEventId,
        },
      });
      const { effect } = decision;
      if (effect) {
        await tx.orderEffect.create({
          data: {
            orderId: order.id,
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
          orderId: order.id,
          topic,
          key: order.id,
          payload: payload as unknown as Prisma.InputJsonValue,
        })),
      });
    },

    async recordOutcome(eventId, outcome) {
      await tx.processedEvent.update({ where: { eventId }, data: { outcome } });
    },

    async view(orderId) {
      const row = await tx.order.findUnique({
        where: { id: orderId },
        include: { items: true, history: { orderBy: { id: 'asc' } } },
      });
      return row && toOrderView(row);
    },
  };
}

/**
 * The SagaStore on Prisma: each unit of work is one interactive transaction. It stores what
 * the saga use cases decide; it decides nothing.
 */
export function createSagaRepository(db: Database): SagaStore {
  return translateDatabaseErrors<SagaStore>({
    transaction: (work) => db.$transaction((tx) => work(unitOfWork(tx))),
  });
}
