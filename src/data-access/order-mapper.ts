import type { Order, OrderItem, OrderStatusHistory } from '../generated/prisma/client';
import type { OrderView } from '../domain/order-view';

type OrderRow = Order & { items: OrderItem[]; history?: OrderStatusHistory[] };

/** Money is BIGINT in Postgres; every value fits a safe integer because intake bounds it. */
function toSafeNumber(value: bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`amount ${value} exceeds 2^53`);
  return number;
}

export function toOrderView(row: OrderRow): OrderView {
  const view: OrderView = {
    id: row.id,
    status: row.status,
    customerId: row.customerId,
    currency: row.currency,
    totalAmount: toSafeNumber(row.totalAmount),
    items: row.items
      .slice()
      .sort((a, b) => a.position - b.position)
      .map((item) => ({
        productId: item.productId,
        productName: item.productName,
        quantity: item.quantity,
        unitPrice: toSafeNumber(item.unitPrice),
        lineTotal: toSafeNumber(item.lineTotal),
      })),
    failureReason: row.failureReason,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  if (row.history) {
    view.history = row.history.map((change) => ({
      from: change.fromStatus,
      to: change.toStatus,
      reason: change.reason,
      causingEventId: change.causingEventId,
      at: change.createdAt.toISOString(),
    }));
  }
  return view;
}
