import { z } from 'zod';
import type { OrderStatus } from './order-status';

/** An order's id, as every caller names it: a UUID. */
export const orderIdSchema = z.uuid({ error: 'must be a UUID' });

/** How an order is shown to REST clients. Amounts are integer minor units of `currency`. */
export interface OrderItemView {
  productId: string;
  productName: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

export interface StatusChangeView {
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string | null;
  causingEventId: string | null;
  at: string;
}

export interface OrderView {
  id: string;
  status: OrderStatus;
  customerId: string;
  currency: string;
  totalAmount: number;
  items: OrderItemView[];
  failureReason: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  history?: StatusChangeView[];
}
