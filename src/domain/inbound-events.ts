import { z } from 'zod';
import { cleanPeerText } from '../shared/safe-text';
import type { ReplyInput } from './saga-model';
import type { ReplyTrigger } from './saga-transitions';

const id = z.string().trim().min(1).max(128);
/** Shown to the customer: controls and bidi characters are replaced on the way in. */
const reason = z.string().max(2_000).transform(cleanPeerText);
/** Fields every consumed record has; unknown extra fields (a peer's newer schema) are dropped. */
const base = { eventId: id, orderId: z.uuid(), occurredAt: z.number().int() };

const paymentSuccessful = z.object({
  ...base,
  paymentId: id,
  amount: z.number().int().min(0),
  /**
   * Required: a payment confirms an order only in the currency it names. The Avro schema keeps
   * its optional union for peers' compatibility; null or absent is refused here, so the record
   * is dead-lettered as invalid-record and the order does not move.
   */
  currency: z
    .string({ error: 'is required on a payment reply' })
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
});
const paymentFailed = z.object({ ...base, reason });
const inventoryReserved = z.object({ ...base, reservationId: id });
const inventoryReservationFailed = z.object({ ...base, reason });
const paymentRefunded = z.object({ ...base, paymentId: id });

export interface InboundEvent {
  eventId: string;
  orderId: string;
  input: ReplyInput;
}

/**
 * For each consumed topic: validate the decoded record and turn it into the saga's input.
 * Each throws a ZodError when the record does not fit.
 */
export const INBOUND_EVENT_PARSERS = {
  payment_successful: (payload: unknown): InboundEvent => {
    const { eventId, orderId, paymentId, amount, currency } = paymentSuccessful.parse(payload);
    return {
      eventId,
      orderId,
      input: {
        trigger: 'payment_successful',
        eventId,
        paymentId,
        amount,
        currency,
      },
    };
  },
  payment_failed: (payload: unknown): InboundEvent => {
    const { eventId, orderId, reason } = paymentFailed.parse(payload);
    return { eventId, orderId, input: { trigger: 'payment_failed', eventId, reason } };
  },
  inventory_reserved: (payload: unknown): InboundEvent => {
    const { eventId, orderId, reservationId } = inventoryReserved.parse(payload);
    return { eventId, orderId, input: { trigger: 'inventory_reserved', eventId, reservationId } };
  },
  inventory_reservation_failed: (payload: unknown): InboundEvent => {
    const { eventId, orderId, reason } = inventoryReservationFailed.parse(payload);
    return {
      eventId,
      orderId,
      input: { trigger: 'inventory_reservation_failed', eventId, reason },
    };
  },
  payment_refunded: (payload: unknown): InboundEvent => {
    const { eventId, orderId, paymentId } = paymentRefunded.parse(payload);
    return { eventId, orderId, input: { trigger: 'payment_refunded', eventId, paymentId } };
  },
} as const satisfies Record<ReplyTrigger, (payload: unknown) => InboundEvent>;
