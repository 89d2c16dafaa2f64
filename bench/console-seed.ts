// Volume for the console's bench row (issue 21 item 8): orders with their history, effects,
// replies and (for the newest tenth) outbox rows, dead letters in the console's index spread
// over groups, and operator actions, written by set-based SQL in a few statements.
import { createHash } from 'node:crypto';
import { Client } from 'pg';

export interface SeededVolume {
  orders: number;
  deadLetters: number;
  /** Keys the bench looks orders up by: an order, its customer, payment, reservation, reply. */
  sample: { orderId: string; customerId: string; paymentId: string; eventId: string };
  /** A dead-letter group's key, when the index table exists. */
  groupKey: string | null;
  seconds: number;
}

const ORDERS_SQL = `
  INSERT INTO orders (id, customer_id, status, currency, total_amount, payment_id, paid_amount,
                      reservation_id, version, created_at, updated_at)
  SELECT md5('bench-order-' || g)::uuid, 'bench-customer-' || (g % ($1::int / 10 + 1)),
         (ARRAY['CONFIRMED','CONFIRMED','CONFIRMED','CONFIRMED','CONFIRMED','CONFIRMED',
                'FAILED','CANCELLED','PENDING','INVENTORY_RESERVING'])[g % 10 + 1]::"OrderStatus",
         'EUR', 5048, 'bench-pay-' || g, 5048,
         CASE WHEN g % 10 < 6 THEN 'bench-res-' || g END, 3,
         now() - make_interval(secs => ($1::int - g) * 10), now() - make_interval(secs => ($1::int - g) * 10 - 2)
  FROM generate_series(1, $1::int) AS g`;

const ITEMS_SQL = `
  INSERT INTO order_items (order_id, position, product_id, product_name, unit_price, quantity, line_total)
  SELECT md5('bench-order-' || g)::uuid, 0, 'sku-1', 'Espresso beans 1kg', 5048, 1, 5048
  FROM generate_series(1, $1::int) AS g`;

const HISTORY_SQL = `
  INSERT INTO order_status_history (order_id, from_status, to_status, reason, causing_event_id, created_at)
  SELECT o.id, s.from_status::"OrderStatus", s.to_status::"OrderStatus", s.reason,
         CASE WHEN s.n = 2 THEN md5('bench-reply-' || o.id)::text END,
         o.created_at + make_interval(secs => s.n)
  FROM orders o
  CROSS JOIN LATERAL (VALUES
    (1, NULL, 'PENDING', 'order placed'),
    (2, 'PENDING', 'INVENTORY_RESERVING', 'payment_successful; emits reserve_inventory_request'),
    (3, 'INVENTORY_RESERVING', o.status::text, 'inventory_reserved; emits order_confirmed')
  ) AS s(n, from_status, to_status, reason)
  WHERE o.customer_id LIKE 'bench-customer-%'
    AND (s.n = 1 OR (s.n = 2 AND o.status <> 'PENDING')
         OR (s.n = 3 AND o.status NOT IN ('PENDING', 'INVENTORY_RESERVING')))`;

const REPLIES_SQL = `
  INSERT INTO processed_events (event_id, topic, order_id, outcome, processed_at)
  SELECT md5('bench-reply-' || o.id)::text, 'payment_successful', o.id, 'applied', o.created_at + interval '2 seconds'
  FROM orders o WHERE o.status <> 'PENDING' AND o.customer_id LIKE 'bench-customer-%'`;

const EFFECTS_SQL = `
  INSERT INTO order_effects (order_id, kind, reference, amount, currency, event_id, received_at)
  SELECT o.id, 'payment'::order_effect_kind, o.payment_id, 5048, 'EUR', md5('bench-reply-' || o.id)::text, o.created_at
  FROM orders o WHERE o.status <> 'PENDING' AND o.customer_id LIKE 'bench-customer-%'
  UNION ALL
  SELECT o.id, 'reservation'::order_effect_kind, o.reservation_id, NULL, NULL, NULL, o.created_at
  FROM orders o WHERE o.reservation_id IS NOT NULL AND o.customer_id LIKE 'bench-customer-%'`;

/** Published rows of the newest tenth of the orders: older ones the relay's retention pruned. */
const OUTBOX_SQL = `
  INSERT INTO outbox (event_id, order_id, topic, key, payload, created_at, published_at)
  SELECT gen_random_uuid(), md5('bench-order-' || g)::uuid, t.topic, md5('bench-order-' || g)::text,
         '{}'::json, now() - make_interval(secs => ($1::int - g) * 10), now() - make_interval(secs => ($1::int - g) * 10 - 1)
  FROM generate_series($1::int - $1::int / 10, $1::int) AS g
  CROSS JOIN (VALUES ('process_payment_request'), ('reserve_inventory_request'), ('order_confirmed')) AS t(topic)`;

const AUDIT_SQL = `
  INSERT INTO operator_audit (actor, role, via, action, target, reason, result, at)
  SELECT 'bench-operator', 'operator', 'console', 'cancel', 'order:' || md5('bench-order-' || g)::uuid,
         'bench', 'done', now() - make_interval(secs => g)
  FROM generate_series(1, $1::int / 100) AS g`;

/** 40 groups (topic × error class × pattern), each record on an order that exists. */
const DEAD_LETTERS_SQL = `
  INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, original_topic, original_partition,
                            original_offset, order_id, event_id, error_class, error_message,
                            error_pattern, group_key, dead_lettered_at, indexed_by, value, value_bytes, headers)
  SELECT t.topic || '_dlq', g % 3, g, t.topic, g % 3, g,
         md5('bench-order-' || (g * 7 % $2::int + 1))::uuid::text, md5('bench-dead-' || g)::text,
         'invalid-record', 'field amount is not a long at record ' || g,
         'field amount is not a long at record <n> #' || (g % 10),
         substr(md5('bench-group-' || (g % 40)), 1, 16),
         now() - make_interval(secs => g * 30), 'writer', '\\x00'::bytea, 1, '{}'::jsonb
  FROM generate_series(1, $1::int) AS g
  CROSS JOIN LATERAL (SELECT (ARRAY['payment_successful','payment_failed','inventory_reserved',
                                    'inventory_reservation_failed'])[g % 4 + 1] AS topic) AS t`;

export async function seedConsoleVolume(
  databaseUrl: string,
  orders: number,
  deadLetters: number,
): Promise<SeededVolume> {
  const started = performance.now();
  const client = new Client({ connectionString: databaseUrl, statement_timeout: 600_000 });
  await client.connect();
  try {
    for (const sql of [ORDERS_SQL, ITEMS_SQL, HISTORY_SQL, OUTBOX_SQL, AUDIT_SQL]) {
      await client.query(sql, sql === HISTORY_SQL ? [] : [orders]);
    }
    await client.query(REPLIES_SQL);
    await client.query(EFFECTS_SQL);
    const { rows } = await client.query<{ exists: boolean }>(
      `SELECT to_regclass('dead_letters') IS NOT NULL AS exists`,
    );
    const indexed = rows[0]?.exists === true;
    if (indexed) await client.query(DEAD_LETTERS_SQL, [deadLetters, orders]);
    await client.query('ANALYZE');
    const g = orders - 1; // a recent order, with outbox rows
    const { rows: sample } = await client.query<{ id: string; customer_id: string; event: string }>(
      `SELECT id, customer_id, md5('bench-reply-' || id) AS event
       FROM orders WHERE id = md5('bench-order-' || $1::int)::uuid`,
      [g],
    );
    return {
      orders,
      deadLetters: indexed ? deadLetters : 0,
      sample: {
        orderId: sample[0]?.id ?? '',
        customerId: sample[0]?.customer_id ?? '',
        paymentId: `bench-pay-${g}`,
        eventId: sample[0]?.event ?? '',
      },
      groupKey: indexed
        ? createHash('md5').update('bench-group-1').digest('hex').slice(0, 16)
        : null,
      seconds: (performance.now() - started) / 1_000,
    };
  } finally {
    await client.end();
  }
}
