/** Every status an order can be in; the saga's transition table (later) moves between them. */
export const ORDER_STATUSES = [
  'PENDING',
  'INVENTORY_RESERVING',
  'COMPENSATING',
  'CONFIRMED',
  'FAILED',
  'CANCELLED',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];
