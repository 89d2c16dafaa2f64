import { z } from 'zod';
import { identifier, safeText } from '../shared/safe-text';

/** Largest unit price accepted, in minor units: keeps every total a safe JavaScript integer. */
export const MAX_UNIT_PRICE = 10_000_000_000;
export const MAX_ITEMS = 100;
export const MAX_QUANTITY = 1_000;

const supportedCurrencies = new Set(Intl.supportedValuesOf('currency'));

const newOrderItemSchema = z.strictObject({
  productId: identifier(),
  productName: safeText().trim().min(1).max(200),
  quantity: z.number().int().min(1).max(MAX_QUANTITY),
  /** Minor units (cents) of the order's currency; never a float. */
  unitPrice: z.number().int().min(0).max(MAX_UNIT_PRICE),
});

/**
 * The body of `POST /api/v1/orders`. Totals are never accepted from the client. `customerId` may
 * be left out by a customer (its token says who it is); access-policy.ts decides whose order it is.
 */
export const newOrderSchema = z.strictObject({
  customerId: identifier().optional(),
  currency: safeText()
    .length(3)
    .regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters (ISO 4217)')
    .refine((code) => supportedCurrencies.has(code), 'is not an ISO 4217 currency code'),
  items: z
    .array(newOrderItemSchema)
    .min(1)
    .max(MAX_ITEMS)
    .superRefine((items, ctx) => {
      // Inventory reserves per product, so one product must be one line.
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.productId)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'productId'],
            message: 'appears on more than one line; combine the quantities',
          });
        }
        seen.add(item.productId);
      });
      if (items.every((item) => item.unitPrice === 0)) {
        ctx.addIssue({ code: 'custom', message: 'an order must have a total above zero' });
      }
    }),
});

export type NewOrder = z.infer<typeof newOrderSchema>;
export type NewOrderItem = z.infer<typeof newOrderItemSchema>;
