import type { Client } from 'pg';
import { bearer, customerToken } from './auth-tokens';
import { aValidOrder, postOrder, readJson, type TestService } from './order-service-harness';
import type { PeerEvents } from './peer-events';
import { waitFor } from './wait-for';

export interface ConfirmedOrder {
  orderId: string;
  customerId: string;
  paymentId: string;
  reservationId: string;
  /** The event id of the payment reply. */
  paymentEventId: string;
}

/** The status of an order as stored. */
export async function storedStatus(service: TestService, orderId: string): Promise<string> {
  const { rows } = await service.sql.query('SELECT status FROM orders WHERE id = $1', [orderId]);
  return rows[0]?.status;
}

/**
 * An order placed through the API by its customer and moved by real replies over the broker to
 * CONFIRMED, with every event it owes published: what the console's journey tests look at.
 */
export async function placeConfirmedOrder(
  service: TestService,
  peers: PeerEvents,
  customerId = 'customer-42',
  suffix = '1',
): Promise<ConfirmedOrder> {
  const customer = bearer(await customerToken(customerId));
  const order = await readJson(await postOrder(service.url, aValidOrder({ customerId }), customer));
  const orderId: string = order.id;
  const paymentId = `pay-journey-${suffix}`;
  const reservationId = `res-journey-${suffix}`;
  const payment = await peers.send('payment_successful', {
    orderId,
    paymentId,
    amount: order.totalAmount,
  });
  // Generous bounds: on a loaded 2-core machine a reply can take seconds to be applied.
  const patience = { timeoutMs: 30_000 };
  await waitFor(
    async () => (await storedStatus(service, orderId)) === 'INVENTORY_RESERVING',
    patience,
  );
  await peers.send('inventory_reserved', { orderId, reservationId });
  await waitFor(async () => (await storedStatus(service, orderId)) === 'CONFIRMED', patience);
  await waitFor(async () => {
    const { rows } = await service.sql.query(
      'SELECT count(*)::int AS n FROM outbox WHERE order_id = $1 AND published_at IS NULL',
      [orderId],
    );
    return rows[0].n === 0;
  }, patience);
  return { orderId, customerId, paymentId, reservationId, paymentEventId: String(payment.eventId) };
}

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
