import type { IncomingMessage } from 'node:http';
import { setContextOrderId } from '../../shared/request-context';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { placeOrder } from '../../domain/place-order-use-case';
import { cancelBodySchema, cancelOrder } from '../../domain/cancel-order-use-case';
import { newOrderSchema } from '../../domain/new-order-schema';
import { customerFilterForList, mayAccessOrder } from '../../domain/access-policy';
import { ORDER_STATUSES } from '../../domain/order-status';
import { orderIdSchema } from '../../domain/order-view';
import { NotFoundError } from '../../shared/app-error';
import { identifier, safeText } from '../../shared/safe-text';
import { decodeCursor, encodeCursor } from '../../shared/list-cursor';
import { parseOrThrow } from '../../shared/validation';
import type { OrderStore } from '../../domain/order-store';
import type { Logger } from '../../shared/logger';
import type { SagaStore } from '../../domain/saga-store';
import type { StepTimeouts } from '../../domain/saga-transitions';
import type { Admission } from './admission';
import { jsonBody, largestBodyBytes } from './json-body';
import { sendJson } from './problem-details';
import { routeRateLimit, type RateLimitSettings, type RouteClass } from './rate-limits';
import type { Step } from './request-steps';

export const ORDERS_PATH = '/api/v1/orders';

export const listQuerySchema = z.strictObject({
  customerId: identifier().optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: safeText().max(200).optional(),
});

/** The largest valid order, and cancellation, as JSON: the body limits of their routes. */
export const ORDER_BODY_LIMIT_BYTES = largestBodyBytes(newOrderSchema);
export const CANCEL_BODY_LIMIT_BYTES = largestBodyBytes(cancelBodySchema);

export interface OrderRoutesDependencies {
  orders: OrderStore;
  saga: SagaStore;
  stepTimeouts: StepTimeouts;
  rateLimits: RateLimitSettings;
}

/** What every order route's chain starts from: who calls, and where they call from. */
export interface RouteGuards {
  authenticate: Step;
  /** The client's address by Express's `trust proxy` rule: the rate limit's key without a token. */
  clientAddress: (req: IncomingMessage) => string;
  logger: Logger;
  /** The bound on requests at work at once (admission.ts): checked first, held by the handler. */
  admission: Admission;
}

/**
 * `POST /api/v1/orders`: the load bound, authenticate, the `create` rate limit, the body, then
 * the use case (holding a place under the bound).
 * Steps on node's own request and response, so the same list serves the Express route below
 * and the create route that runs without Express (create-order-endpoint.ts).
 */
export function createOrderSteps(
  { orders, stepTimeouts, rateLimits }: OrderRoutesDependencies,
  { authenticate, clientAddress, logger, admission }: RouteGuards,
): Step[] {
  return [
    admission.refuseWhenFull,
    authenticate,
    routeRateLimit('create', rateLimits, clientAddress, logger),
    ...jsonBody(ORDER_BODY_LIMIT_BYTES),
    admission.admitted(async (req, res) => {
      const idempotencyKey = req.headers['idempotency-key'];
      const { order, replayed } = await placeOrder(
        { orders, timeouts: stepTimeouts },
        req.caller,
        (req as { body?: unknown }).body,
        typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      );
      setContextOrderId(order.id);
      res.setHeader('Location', `${ORDERS_PATH}/${order.id}`);
      res.setHeader('Idempotent-Replayed', String(replayed));
      sendJson(res, 202, order);
    }),
  ];
}

/**
 * Who may do what is decided by domain/access-policy.ts. Each route's own chain authenticates
 * (setting `req.caller`), applies its class's rate limit, and only then reads a body, sized to
 * the largest valid one: an anonymous or limited caller never makes us inflate or parse a byte.
 * Paths are case-sensitive and strict, so one spelling reaches each route.
 */
export function orderRoutes(
  { orders, saga, stepTimeouts, rateLimits }: OrderRoutesDependencies,
  { authenticate, clientAddress, logger, admission }: RouteGuards,
  createOrder: Step[],
): Router {
  const router = Router({ caseSensitive: true, strict: true });
  const { admitted } = admission;
  const guard = (kind: RouteClass): Step[] => [
    admission.refuseWhenFull,
    authenticate,
    routeRateLimit(kind, rateLimits, clientAddress, logger),
  ];

  router.post('/', ...createOrder);

  router.get(
    '/',
    ...guard('read'),
    admitted(async (req: Request, res: Response) => {
      const query = parseOrThrow(listQuerySchema, req.query, 'The query parameters are not valid');
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const customerId = customerFilterForList(req.caller, query.customerId);
      const page = await orders.list({ ...query, customerId, after });
      const last = page.orders.at(-1);
      res.json({
        items: page.orders,
        nextCursor: page.hasMore && last ? encodeCursor(last) : null,
      });
    }),
  );

  router.get(
    '/:id',
    ...guard('read'),
    admitted(async (req: Request, res: Response) => {
      const id = parseOrThrow(orderIdSchema, req.params.id, 'The order id is not valid');
      setContextOrderId(id);
      const order = await orders.findById(id);
      if (!order || !mayAccessOrder(req.caller, order)) {
        throw new NotFoundError(`No order has id ${id}`);
      }
      res.json(order);
    }),
  );

  router.post(
    '/:id/cancel',
    ...guard('cancel'),
    ...jsonBody(CANCEL_BODY_LIMIT_BYTES),
    admitted(async (req: Request, res: Response) => {
      const id = parseOrThrow(orderIdSchema, req.params.id, 'The order id is not valid');
      setContextOrderId(id);
      res.json(await cancelOrder({ saga, timeouts: stepTimeouts }, req.caller, id, req.body));
    }),
  );

  return router;
}
