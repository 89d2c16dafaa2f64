import { setContextOrderId } from '../../shared/request-context';
import { Router } from 'express';
import { z } from 'zod';
import { placeOrder } from '../../domain/place-order-use-case';
import { cancelOrder } from '../../domain/cancel-order-use-case';
import { customerFilterForList, mayAccessOrder } from '../../domain/access-policy';
import { ORDER_STATUSES } from '../../domain/order-status';
import { NotFoundError } from '../../shared/app-error';
import { identifier, safeText } from '../../shared/safe-text';
import { parseOrThrow } from '../../shared/validation';
import type { OrderStore } from '../../domain/order-store';
import type { SagaStore } from '../../domain/saga-store';
import type { StepTimeouts } from '../../domain/saga-transitions';
import { decodeCursor, encodeCursor } from './list-cursor';

export const ORDERS_PATH = '/api/v1/orders';

export const orderIdSchema = z.uuid({ error: 'must be a UUID' });

export const listQuerySchema = z.strictObject({
  customerId: identifier().optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: safeText().max(200).optional(),
});

export interface OrderRoutesDependencies {
  orders: OrderStore;
  saga: SagaStore;
  stepTimeouts: StepTimeouts;
}

/** Who may do what is decided by domain/access-policy.ts; `req.caller` is set by authentication. */
export function orderRoutes({ orders, saga, stepTimeouts }: OrderRoutesDependencies): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const { order, replayed } = await placeOrder(
      { orders, timeouts: stepTimeouts },
      req.caller,
      req.body,
      req.get('idempotency-key'),
    );
    setContextOrderId(order.id);
    res
      .status(202)
      .location(`${ORDERS_PATH}/${order.id}`)
      .setHeader('Idempotent-Replayed', String(replayed))
      .json(order);
  });

  router.get('/', async (req, res) => {
    const query = parseOrThrow(listQuerySchema, req.query, 'The query parameters are not valid');
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const customerId = customerFilterForList(req.caller, query.customerId);
    const page = await orders.list({ ...query, customerId, after });
    const last = page.orders.at(-1);
    res.json({ items: page.orders, nextCursor: page.hasMore && last ? encodeCursor(last) : null });
  });

  router.get('/:id', async (req, res) => {
    const id = parseOrThrow(orderIdSchema, req.params.id, 'The order id is not valid');
    setContextOrderId(id);
    const order = await orders.findById(id);
    if (!order || !mayAccessOrder(req.caller, order)) {
      throw new NotFoundError(`No order has id ${id}`);
    }
    res.json(order);
  });

  router.post('/:id/cancel', async (req, res) => {
    const id = parseOrThrow(orderIdSchema, req.params.id, 'The order id is not valid');
    setContextOrderId(id);
    res.json(await cancelOrder({ saga, timeouts: stepTimeouts }, req.caller, id, req.body));
  });

  return router;
}
