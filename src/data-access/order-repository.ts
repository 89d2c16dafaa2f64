import type { Database } from './prisma-client-factory';
import type { Prisma } from '../generated/prisma/client';
import type { OrderStatus } from '../domain/order-status';
import type { OrderView } from '../domain/order-view';
import type { PricedOrder } from '../domain/order-pricing';
import type { OutgoingEvent } from '../domain/saga-events';
import { toOrderView } from './order-mapper';
import { isUniqueViolation } from './database-errors';

export interface NewOrderRecord extends PricedOrder {
  id: string;
  customerId: string;
  currency: string;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** When the payment step times out (the saga's first deadline). */
  stepDeadlineAt: Date;
}

export interface OrderListQuery {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  after?: { createdAt: Date; id: string };
}

/** Thrown when another request already created the order for this idempotency key. */
export class DuplicateIdempotencyKey extends Error {
  override name = 'DuplicateIdempotencyKey';
}

export function createOrderRepository(db: Database) {
  return {
    /**
     * One transaction: the order, its items, its first history row and the outbox row
     * announcing it. Either all of them exist afterwards or none does.
     */
    async insertNewOrder(order: NewOrderRecord, event: OutgoingEvent): Promise<OrderView> {
      try {
        const [row] = await db.$transaction([
          db.order.create({
            data: {
              id: order.id,
              customerId: order.customerId,
              status: 'PENDING',
              currency: order.currency,
              totalAmount: BigInt(order.totalAmount),
              idempotencyKey: order.idempotencyKey,
              requestHash: order.requestHash,
              stepDeadlineAt: order.stepDeadlineAt,
              items: {
                createMany: {
                  data: order.items.map((item, position) => ({
                    position,
                    productId: item.productId,
                    productName: item.productName,
                    quantity: item.quantity,
                    unitPrice: BigInt(item.unitPrice),
                    lineTotal: BigInt(item.lineTotal),
                  })),
                },
              },
              history: {
                create: { fromStatus: null, toStatus: 'PENDING', reason: 'order placed' },
              },
            },
            include: { items: true },
          }),
          db.outboxMessage.create({
            data: {
              eventId: event.payload.eventId,
              orderId: event.payload.orderId,
              topic: event.topic,
              key: event.payload.orderId,
              payload: event.payload as unknown as Prisma.InputJsonValue,
            },
          }),
        ]);
        return toOrderView(row);
      } catch (error) {
        if (order.idempotencyKey !== null && isUniqueViolation(error)) {
          throw new DuplicateIdempotencyKey(order.idempotencyKey, { cause: error });
        }
        throw error;
      }
    },

    async findByIdempotencyKey(
      customerId: string,
      idempotencyKey: string,
    ): Promise<{ order: OrderView; requestHash: string | null } | null> {
      const row = await db.order.findUnique({
        where: { customerId_idempotencyKey: { customerId, idempotencyKey } },
        include: { items: true },
      });
      return row && { order: toOrderView(row), requestHash: row.requestHash };
    },

    async findById(id: string): Promise<OrderView | null> {
      const row = await db.order.findUnique({
        where: { id },
        include: { items: true, history: { orderBy: { id: 'asc' } } },
      });
      return row && toOrderView(row);
    },

    /** Newest first, keyset-paginated on (createdAt, id) so pages stay stable under inserts. */
    async list(query: OrderListQuery): Promise<{ orders: OrderView[]; hasMore: boolean }> {
      const { after } = query;
      const rows = await db.order.findMany({
        where: {
          customerId: query.customerId,
          status: query.status,
          ...(after && {
            OR: [
              { createdAt: { lt: after.createdAt } },
              { createdAt: after.createdAt, id: { lt: after.id } },
            ],
          }),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
        include: { items: true },
      });
      return {
        orders: rows.slice(0, query.limit).map(toOrderView),
        hasMore: rows.length > query.limit,
      };
    },
  };
}

export type OrderRepository = ReturnType<typeof createOrderRepository>;
