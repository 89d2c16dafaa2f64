import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdempotencyConflictError } from '../shared/app-error';
import { parseOrThrow } from '../shared/validation';
import { customerForNewOrder, type Caller } from './access-policy';
import { newOrderSchema } from './new-order-schema';
import { priceOrder } from './order-pricing';
import { fingerprint } from './request-fingerprint';
import type { OrderView } from './order-view';
import { DuplicateIdempotencyKeyError, type OrderStore } from './order-store';
import { decide } from './saga-decider';
import { NEW_ORDER, stepDeadline, type StepTimeouts } from './saga-transitions';

/** The `Idempotency-Key` header of `POST /api/v1/orders`. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export interface PlaceOrderResult {
  order: OrderView;
  /** True when an earlier request with the same Idempotency-Key created the order. */
  replayed: boolean;
}

export interface PlaceOrderDependencies {
  orders: OrderStore;
  timeouts: StepTimeouts;
  now?: () => Date;
}

/**
 * Validates and prices a new order, then stores it as the saga's first row says: PENDING,
 * together with the `process_payment_request` it owes the payment service, atomically. A
 * repeated Idempotency-Key with the same body answers with the order it created.
 */
export async function placeOrder(
  { orders, timeouts, now = () => new Date() }: PlaceOrderDependencies,
  caller: Caller,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<PlaceOrderResult> {
  const parsed = parseOrThrow(newOrderSchema, body, 'The order is not valid');
  // The whole order as it will be stored, so a repeat that leaves out customerId (the token
  // says who it is) has the same fingerprint as one that names it.
  const input = { ...parsed, customerId: customerForNewOrder(caller, parsed.customerId) };
  const key =
    idempotencyKey === undefined
      ? null
      : parseOrThrow(
          idempotencyKeySchema,
          idempotencyKey,
          'The Idempotency-Key header is not valid',
        );
  const requestHash = key === null ? null : fingerprint(input);

  if (key !== null) {
    const earlier = await replayOf(orders, input.customerId, key, requestHash);
    if (earlier) return earlier;
  }

  const orderId = randomUUID();
  const placedAt = now();
  const priced = priceOrder(input.items);
  const decision = decide(
    {
      id: orderId,
      status: NEW_ORDER,
      customerId: input.customerId,
      currency: input.currency,
      totalAmount: priced.totalAmount,
      failureReason: null,
      paymentId: null,
      paidAmount: null,
      reservationId: null,
      items: priced.items,
      version: 0,
      knownPayments: new Set(),
      knownReservations: new Set(),
    },
    { trigger: 'place_order' },
    { now: placedAt, newEventId: randomUUID },
  );
  if (decision.kind !== 'apply') throw new Error('the saga table has no row for place_order');
  try {
    const order = await orders.insertNewOrder(
      {
        ...priced,
        id: orderId,
        customerId: input.customerId,
        currency: input.currency,
        idempotencyKey: key,
        requestHash,
        stepDeadlineAt: stepDeadline(decision.changes.waitingStep, placedAt, timeouts) as Date,
        reason: decision.reason,
      },
      decision.emit,
    );
    return { order, replayed: false };
  } catch (error) {
    // A concurrent request with the same key won the insert: answer with its order.
    if (error instanceof DuplicateIdempotencyKeyError && key !== null) {
      const winner = await replayOf(orders, input.customerId, key, requestHash);
      if (winner) return winner;
    }
    throw error;
  }
}

async function replayOf(
  orders: OrderStore,
  customerId: string,
  key: string,
  requestHash: string | null,
): Promise<PlaceOrderResult | null> {
  const earlier = await orders.findByIdempotencyKey(customerId, key);
  if (!earlier) return null;
  if (earlier.requestHash !== requestHash) {
    throw new IdempotencyConflictError(
      'This Idempotency-Key was already used with a different request body',
    );
  }
  return { order: earlier.order, replayed: true };
}
