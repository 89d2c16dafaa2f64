// The events that tell the rest of the world how an order ended, read raw from their topics and
// held to each order's final state in the database: a CONFIRMED order has exactly one
// order_confirmed event and nothing on the other two topics, and so on; an order that has not
// ended has none. Records are keyed by order id, so no decoding is needed. A redelivery of the
// same event (same event id, at least once) is one event.
import type { EmittedEvent } from '../src/domain/saga-transitions';
import { physicalTopic } from '../src/messaging/topics';
import type { RawRecord } from '../test/support/raw-topic-reader';

export const TERMINAL_EVENT_TOPICS = [
  'order_confirmed',
  'order_failed',
  'order_cancelled',
] as const satisfies readonly EmittedEvent[];

const EVENT_OF_STATUS: Record<string, (typeof TERMINAL_EVENT_TOPICS)[number]> = {
  CONFIRMED: 'order_confirmed',
  FAILED: 'order_failed',
  CANCELLED: 'order_cancelled',
};

const MAX_LISTED = 10;

export function checkTerminalEvents(
  topicPrefix: string,
  orders: ReadonlyArray<{ id: string; status: string }>,
  records: readonly RawRecord[],
): { count: number; violations: string[] } {
  const topicOf = new Map(
    TERMINAL_EVENT_TOPICS.map((topic) => [physicalTopic(topicPrefix, topic), topic]),
  );
  /** order id → distinct events (`topic event-id`). */
  const events = new Map<string, Set<string>>();
  for (const record of records) {
    const topic = topicOf.get(record.topic);
    if (!topic) continue;
    const orderId = record.key?.toString() ?? '(no key)';
    const set = events.get(orderId) ?? new Set<string>();
    set.add(`${topic} ${record.headers['event-id'] ?? `offset ${record.offset}`}`);
    events.set(orderId, set);
  }
  const violations: string[] = [];
  let wrong = 0;
  const known = new Set(orders.map((order) => order.id));
  for (const order of orders) {
    const seen = [...(events.get(order.id) ?? [])].map((event) => event.split(' ')[0]);
    const owed = EVENT_OF_STATUS[order.status];
    const right = owed === undefined ? seen.length === 0 : seen.length === 1 && seen[0] === owed;
    if (!right && ++wrong <= MAX_LISTED)
      violations.push(
        `order ${order.id} is ${order.status}; its terminal events: ${seen.join(', ') || 'none'} (owed: ${owed ?? 'none'})`,
      );
  }
  if (wrong > MAX_LISTED) violations.push(`... ${wrong} orders with the wrong terminal events`);
  for (const orderId of events.keys())
    if (!known.has(orderId)) violations.push(`terminal event for an unknown order ${orderId}`);
  let count = 0;
  for (const set of events.values()) count += set.size;
  return { count, violations };
}
