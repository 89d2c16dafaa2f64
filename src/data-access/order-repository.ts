import type { Database } from './prisma-client-factory';
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
     * The order, its items, its first history row and the outbox row announcing it, in ONE
     * statement (data-modifying CTEs): atomic like a transaction, in a single round trip.
     * Intake is the hot path; a Prisma nested create of the same rows takes several round trips.
     */
    async insertNewOrder(order: NewOrderRecord, event: OutgoingEvent): Promise<OrderView> {
      const items = order.items.map((item, position) => ({ position, ...item }));
      try {
        const [row] = await db.$queryRaw<{ created_at: Date }[]>`
          WITH new_order AS (
            INSERT INTO orders (id, customer_id, status, currency, total_amount, idempotency_key,
                                request_hash, step_deadline_at, updated_at)
            VALUES (${order.id}::uuid, ${order.customerId}, 'PENDING', ${order.currency},
                    ${order.totalAmount}::bigint, ${order.idempotencyKey}, ${order.requestHash},
                    ${order.stepDeadlineAt}, now())
            RETURNING created_at
          ), new_items AS (
            INSERT INTO order_items (order_id, position, product_id, product_name, unit_price,
                                     quantity, line_total)
            SELECT ${order.id}::uuid, i.position, i."productId", i."productName", i."unitPrice",
                   i.quantity, i."lineTotal"
            FROM jsonb_to_recordset(${JSON.stringify(items)}::jsonb) AS i(position int,
              "productId" text, "productName" text, "unitPrice" bigint, quantity int, "lineTotal" bigint)
          ), first_history AS (
            INSERT INTO order_status_history (order_id, to_status, reason)
            VALUES (${order.id}::uuid, 'PENDING', 'order placed')
          ), announcement AS (
            INSERT INTO outbox (event_id, order_id, topic, key, payload)
            VALUES (${event.payload.eventId}::uuid, ${order.id}::uuid, ${event.topic}, ${order.id},
                    ${JSON.stringify(event.payload)}::jsonb)
          )
          SELECT created_at FROM new_order`;
        const createdAt = (row as { created_at: Date }).created_at.toISOString();
        return {
          id: order.id,
          status: 'PENDING',
          customerId: order.customerId,
          currency: order.currency,
          totalAmount: order.totalAmount,
          items: order.items.map(({ productId, productName, quantity, unitPrice, lineTotal }) => ({
            productId,
            productName,
            quantity,
            unitPrice,
            lineTotal,
          })),
          failureReason: null,
          version: 0,
          createdAt,
          updatedAt: createdAt,
        };
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
