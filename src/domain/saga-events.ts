/**
 * Payloads of the events this service writes to its outbox, field for field as in
 * `schemas/*.avsc`. Amounts are minor units; `occurredAt` is epoch milliseconds.
 */
interface EventBase {
  eventId: string;
  orderId: string;
  occurredAt: number;
}

export interface ProcessPaymentRequest extends EventBase {
  customerId: string;
  amount: number;
  currency: string;
}

export interface ReserveInventoryRequest extends EventBase {
  items: { productId: string; quantity: number }[];
}

export interface RefundPaymentRequest extends EventBase {
  paymentId: string;
  amount: number;
  currency: string;
  reason: string;
}

export interface ReleaseInventoryRequest extends EventBase {
  reservationId: string;
  reason: string;
}

export interface OrderConfirmed extends EventBase {
  customerId: string;
  amount: number;
  currency: string;
}

export interface OrderEnded extends EventBase {
  reason: string;
}

export interface OutgoingEventPayloads {
  process_payment_request: ProcessPaymentRequest;
  reserve_inventory_request: ReserveInventoryRequest;
  refund_payment_request: RefundPaymentRequest;
  release_inventory_request: ReleaseInventoryRequest;
  order_confirmed: OrderConfirmed;
  order_failed: OrderEnded;
  order_cancelled: OrderEnded;
}

export type OutgoingTopic = keyof OutgoingEventPayloads;

/** An event on its way to the outbox: its logical topic (the relay adds the prefix) and payload. */
export type OutgoingEvent = {
  [Topic in OutgoingTopic]: { topic: Topic; payload: OutgoingEventPayloads[Topic] };
}[OutgoingTopic];
