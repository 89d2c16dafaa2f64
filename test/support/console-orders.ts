import type { Client } from 'pg';

/** An order in PENDING, inserted straight into the tables, as another instance would have. */
export async function insertPendingOrder(sql: Client, id: string, totalAmount: number) {
  await sql.query(
    `INSERT INTO orders (id, customer_id, status, currency, total_amount, step_deadline_at)
     VALUES ($1, 'customer-7', 'PENDING', 'EUR', $2, now() + interval '1 hour')`,
    [id, totalAmount],
  );
  await sql.query(
    `INSERT INTO order_items
       (order_id, position, product_id, product_name, unit_price, quantity, line_total)
     VALUES ($1, 0, 'sku-9', 'Grinder', $2, 1, $2)`,
    [id, totalAmount],
  );
  await sql.query(
    `INSERT INTO order_status_history (order_id, from_status, to_status, reason)
     VALUES ($1, NULL, 'PENDING', 'order placed')`,
    [id],
  );
}
