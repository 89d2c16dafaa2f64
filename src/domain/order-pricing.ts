import type { NewOrderItem } from './new-order-schema';

export interface PricedItem extends NewOrderItem {
  lineTotal: number;
}

export interface PricedOrder {
  items: PricedItem[];
  totalAmount: number;
}

/** Line totals and the order total, all in integer minor units. */
export function priceOrder(items: readonly NewOrderItem[]): PricedOrder {
  const priced = items.map((item) => ({ ...item, lineTotal: item.unitPrice * item.quantity }));
  const totalAmount = priced.reduce((sum, item) => sum + item.lineTotal, 0);
  if (!Number.isSafeInteger(totalAmount)) {
    throw new RangeError(`order total ${totalAmount} is not a safe integer`);
  }
  return { items: priced, totalAmount };
}
