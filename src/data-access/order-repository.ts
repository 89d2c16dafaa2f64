import { poolOf, type Database } from './prisma-client-factory';
import {
  DuplicateIdempotencyKeyError,
  newOrderView,
  type OrderListQuery,
  type OrderStore,
} from '../domain/order-store';
import type { OrderView } from '../domain/order-view';
import { toOrderView } from './order-mapper';
import { ORDER_VIEW_SELECT, toOrderViewFromRow, type OrderViewRow } from './order-view-sql';
import { traceparentForRow } from '../shared/trace-context';
import { isUniqueViolation, translateDatabaseErrors } from './database-errors';

/** The statement intake runs: see insertNewOrder. */
const INSERT_NEW_ORDER = `
  WITH new_order AS (
    INSERT INTO orders (id, customer_id, status, currency, total_amount, idempotency_key,
                        request_hash, step_deadline_at, updated_at)
    VALUES ($1::uuid, $2, 'PENDING', $3, $4::bigint, $5, $6, $7, now())
    RETURNING created_at
  ), new_items AS (
    INSERT INTO order_items (order_id, position, product_id, product_name, unit_price, quantity,
                             line_total)
    SELECT $1::uuid, i.position, i."productId", i."productName", i."unitPrice", i.quantity,
           i."lineTotal"
    FROM jsonb_to_recordset($8::jsonb) AS i(position int, "productId" text, "productName" text,
                                            "unitPrice" bigint, quantity int, "lineTotal" bigint)
  ), first_history AS (
    INSERT INTO order_status_history (order_id, to_status, reason) VALUES ($1::uuid, 'PENDING', $9)
  ), announcements AS (
    INSERT INTO outbox (event_id, order_id, topic, key, payload, traceparent)
    SELECT e."eventId", $1::uuid, e.topic, $1, e.payload, e.traceparent
    FROM jsonb_to_recordset($10::jsonb) AS e(topic text, "eventId" uuid, payload jsonb,
                                             traceparent text)
  )
  SELECT created_at FROM new_order`;

export interface OrderRepositoryOptions {
  /** Called after a commit that wrote outbox rows: the relay has work. */
  onOutboxWritten?: () => void;
}

/**
 * The OrderStore: plain SQL for the two hot paths (intake's one statement, and reading one order,
 * which clients tracking an order repeat), Prisma for the rest.
 */
export function createOrderRepository(
  db: Database,
  { onOutboxWritten }: OrderRepositoryOptions = {},
): OrderStore {
  const pool = poolOf(db);
  return translateDatabaseErrors<OrderStore>({
    /**
     * The order, its items, its first history row and the outbox rows announcing it, in ONE
     * statement (data-modifying CTEs): atomic like a transaction, in a single round trip,
     * sent as a prepared statement.
     */
    async insertNewOrder(order, events): Promise<OrderView> {
      const items = order.items.map((item, position) => ({ position, ...item }));
      // The request's trace context, so the relay's send continues this trace.
      const traceparent = traceparentForRow();
      const outbox = events.map(({ topic, payload }) => ({
        topic,
        eventId: payload.eventId,
        payload,
        traceparent,
      }));
      try {
        const { rows } = await pool.query<{ created_at: Date }>({
          name: 'insert-new-order',
          text: INSERT_NEW_ORDER,
          values: [
            order.id,
            order.customerId,
            order.currency,
            order.totalAmount,
            order.idempotencyKey,
            order.requestHash,
            order.stepDeadlineAt,
            JSON.stringify(items),
            order.reason,
            JSON.stringify(outbox),
          ],
        });
        const [row] = rows;
        if (outbox.length > 0) onOutboxWritten?.();
        return newOrderView(order, (row as { created_at: Date }).created_at.toISOString());
      } catch (error) {
        if (order.idempotencyKey !== null && isUniqueViolation(error)) {
          throw new DuplicateIdempotencyKeyError(order.idempotencyKey, { cause: error });
        }
        throw error;
      }
    },

    async findByIdempotencyKey(customerId, idempotencyKey) {
      const row = await db.order.findUnique({
        where: { customerId_idempotencyKey: { customerId, idempotencyKey } },
        include: { items: true },
      });
      return row && { order: toOrderView(row), requestHash: row.requestHash };
    },

    /** One prepared statement: 0.5 ms of CPU per read, where Prisma's findUnique took 1.2 ms. */
    async findById(id) {
      const { rows } = await pool.query<OrderViewRow>({
        name: 'find-order-view',
        text: `${ORDER_VIEW_SELECT} WHERE o.id = $1`,
        values: [id],
      });
      const [row] = rows;
      return row ? toOrderViewFromRow(row) : null;
    },

    /** Newest first, keyset-paginated on (createdAt, id) so pages stay stable under inserts. */
    async list(query: OrderListQuery) {
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
  });
}
