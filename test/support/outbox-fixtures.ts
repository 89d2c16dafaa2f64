import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { RELAY_SLOTS, slotOf } from '../../src/data-access/outbox-repository';
import type { DecodedRecord } from './topic-reader';

/** Every relay slot, in order: what one instance alone holds. */
export const ALL_RELAY_SLOTS = Array.from({ length: RELAY_SLOTS }, (_, slot) => slot);

/** The outbox slots an instance's relay publishes, from its admin /ready. */
export async function relaySlotsOf(adminUrl: string): Promise<number[]> {
  const response = await fetch(`${adminUrl}/ready`);
  return ((await response.json()) as { outboxRelaySlots: number[] }).outboxRelaySlots;
}

/** A new order id whose outbox rows belong to one of `slots` (asked of Postgres, as the relay). */
export async function orderIdInSlots(sql: Client, slots: readonly number[]): Promise<string> {
  for (;;) {
    const orderId = randomUUID();
    const { rows } = await sql.query<{ slot: number }>(`SELECT ${slotOf('$1::uuid')} AS slot`, [
      orderId,
    ]);
    if (slots.includes(rows[0]!.slot)) return orderId;
  }
}

/**
 * Writes payment requests straight into the outbox, in array order, in one statement (so one
 * NOTIFY), as the saga would write several events per order. Returns their event ids.
 */
export async function insertPaymentRequests(
  sql: Client,
  rows: Array<{ orderId: string; amount: number }>,
  customerId = 'outbox-fixture',
): Promise<string[]> {
  const payloads = rows.map(({ orderId, amount }) => ({
    eventId: randomUUID(),
    orderId,
    customerId,
    amount,
    currency: 'EUR',
    occurredAt: Date.now(),
  }));
  await sql.query(
    `INSERT INTO outbox (event_id, order_id, topic, key, payload)
     SELECT (r->>'eventId')::uuid, (r->>'orderId')::uuid, 'process_payment_request', r->>'orderId', r
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n`,
    [JSON.stringify(payloads)],
  );
  return payloads.map((payload) => payload.eventId);
}

/** Records in partition-offset order: the order a consumer of one key sees them in. */
export function inOffsetOrder(records: DecodedRecord[]): DecodedRecord[] {
  return [...records].sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

/**
 * Each order's payment-request amounts in the order a consumer sees them, first deliveries only:
 * delivery is at least once, so a row may arrive twice, but never a later one before an earlier.
 */
export function firstDeliveredAmounts(records: DecodedRecord[], orderIds: string[]) {
  const inOrder = inOffsetOrder(records);
  return orderIds.map((orderId) => ({
    orderId,
    amounts: [
      ...new Set(
        inOrder.filter((record) => record.key === orderId).map((r) => Number(r.value.amount)),
      ),
    ],
  }));
}

/** What `firstDeliveredAmounts` gives when every order's events 1..`count` arrived in order. */
export const inWriteOrder = (orderIds: string[], count: number) =>
  orderIds.map((orderId) => ({
    orderId,
    amounts: Array.from({ length: count }, (_, i) => i + 1),
  }));
