import type { OrderView } from '../domain/order-view';
import { toOrderView } from './order-mapper';

/** One order with its items and status history, in one round trip, for plain-SQL stores. */
export const ORDER_VIEW_SELECT = `
  SELECT o.id, o.status, o.customer_id, o.currency, o.total_amount, o.failure_reason, o.version,
         o.created_at, o.updated_at,
         (SELECT coalesce(json_agg(json_build_object(
                   'position', i.position, 'productId', i.product_id, 'productName', i.product_name,
                   'quantity', i.quantity, 'unitPrice', i.unit_price, 'lineTotal', i.line_total)), '[]')
            FROM order_items i WHERE i.order_id = o.id) AS items,
         (SELECT coalesce(json_agg(json_build_object(
                   'fromStatus', h.from_status, 'toStatus', h.to_status, 'reason', h.reason,
                   'causingEventId', h.causing_event_id, 'createdAt', h.created_at) ORDER BY h.id), '[]')
            FROM order_status_history h WHERE h.order_id = o.id) AS history
  FROM orders o`;

export interface OrderViewRow {
  id: string;
  status: OrderView['status'];
  customer_id: string;
  currency: string;
  total_amount: string;
  failure_reason: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  items: {
    position: number;
    productId: string;
    productName: string;
    quantity: number;
    unitPrice: number;
    lineTotal: number;
  }[];
  history: {
    fromStatus: OrderView['status'] | null;
    toStatus: OrderView['status'];
    reason: string | null;
    causingEventId: string | null;
    createdAt: string;
  }[];
}

/** The same view Prisma's rows give (order-mapper.ts), from ORDER_VIEW_SELECT's row. */
export function toOrderViewFromRow(row: OrderViewRow): OrderView {
  return toOrderView({
    id: row.id,
    status: row.status,
    customerId: row.customer_id,
    currency: row.currency,
    totalAmount: BigInt(row.total_amount),
    failureReason: row.failure_reason,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    items: row.items.map((item) => ({
      ...item,
      unitPrice: BigInt(item.unitPrice),
      lineTotal: BigInt(item.lineTotal),
    })),
    history: row.history.map((change) => ({ ...change, createdAt: new Date(change.createdAt) })),
  } as unknown as Parameters<typeof toOrderView>[0]);
}
