/**
 * Payloads of the events this service writes to its outbox, field for field as in
 * `schemas/*.avsc`. Amounts are minor units; `occurredAt` is epoch milliseconds.
 */
export interface ProcessPaymentRequest {
  eventId: string;
  orderId: string;
  customerId: string;
  amount: number;
  currency: string;
  occurredAt: number;
}

export interface OutgoingEvent<Payload extends { eventId: string; orderId: string }> {
  /** Logical topic name; the relay adds the configured prefix. */
  topic: string;
  payload: Payload;
}

export const TOPICS = {
  processPaymentRequest: 'process_payment_request',
} as const;
