import { z } from 'zod';
import { ORDER_STATUSES } from '../../../domain/order-status';
import type { OrderView } from '../../../domain/order-view';

/** The named schemas of the document (`#/components/schemas/<id>`). */
export const responseSchemas = z.registry<{ id: string }>();

/**
 * What the API answers with, for the OpenAPI document only (answers are built from typed views,
 * not parsed). The type checks below keep these equal to `OrderView` both ways.
 */
const orderItemSchema = z.object({
  productId: z.string(),
  productName: z.string(),
  quantity: z.int(),
  unitPrice: z.int().meta({ description: 'Minor units of the order currency' }),
  lineTotal: z.int(),
});

const statusChangeSchema = z.object({
  from: z.enum(ORDER_STATUSES).nullable(),
  to: z.enum(ORDER_STATUSES),
  reason: z.string().nullable(),
  causingEventId: z.string().nullable(),
  at: z.iso.datetime(),
});

export const orderSchema = z.object({
  id: z.uuid(),
  status: z.enum(ORDER_STATUSES),
  customerId: z.string(),
  currency: z.string(),
  totalAmount: z.int().meta({ description: 'Minor units of `currency`' }),
  items: z.array(orderItemSchema),
  failureReason: z.string().nullable(),
  version: z.int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  history: z.array(statusChangeSchema).optional(),
});

export const orderPageSchema = z.object({
  items: z.array(orderSchema),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page' }),
});

/** RFC 9457, as problem-details.ts writes it; some problems add members (`currentStatus`). */
export const problemSchema = z.looseObject({
  type: z.string().meta({ description: '`/problems/<code>`: the Errors table in docs/api.md' }),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const statusSchema = z.object({ status: z.string() }).meta({ id: 'Status' });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const viewsMatch: Same<z.infer<typeof orderSchema>, OrderView> = true;
void viewsMatch;

responseSchemas
  .add(orderSchema, { id: 'Order' })
  .add(orderPageSchema, { id: 'OrderPage' })
  .add(problemSchema, { id: 'Problem' })
  .add(statusSchema, { id: 'Status' });
