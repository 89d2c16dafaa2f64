/**
 * The saga's topics by logical name. The physical topic is the configured prefix plus this
 * name; each carries one Avro record type, `schemas/<name>.avsc`, under subject `<topic>-value`.
 */
export const PRODUCED_TOPICS = [
  'process_payment_request',
  'reserve_inventory_request',
  'refund_payment_request',
  'release_inventory_request',
  'order_confirmed',
  'order_failed',
  'order_cancelled',
] as const;

export const CONSUMED_TOPICS = [
  'payment_successful',
  'payment_failed',
  'inventory_reserved',
  'inventory_reservation_failed',
  'payment_refunded',
] as const;

export type ProducedTopic = (typeof PRODUCED_TOPICS)[number];
export type ConsumedTopic = (typeof CONSUMED_TOPICS)[number];
export type SagaTopic = ProducedTopic | ConsumedTopic;

export const ALL_TOPICS: readonly SagaTopic[] = [...PRODUCED_TOPICS, ...CONSUMED_TOPICS];

export const DLQ_SUFFIX = '_dlq';

/** Where records of `topic` that cannot be processed go. */
export function deadLetterTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function physicalTopic(prefix: string, topic: string): string {
  return `${prefix}${topic}`;
}

export function subjectFor(prefix: string, topic: string): string {
  return `${physicalTopic(prefix, topic)}-value`;
}
