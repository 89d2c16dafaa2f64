import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService();

describe('POST /api/v1/orders', () => {
  test('when a valid order is posted, then it is accepted as PENDING with server-computed totals', async () => {
    const response = await postOrder(app.url, aValidOrder());

    expect(response.status).toBe(202);
    const order = await readJson(response);
    expect(response.headers.get('location')).toBe(`/api/v1/orders/${order.id}`);
    expect(order).toMatchObject({
      status: 'PENDING',
      customerId: 'customer-42',
      currency: 'EUR',
      totalAmount: 2 * 1_899 + 1_250,
      items: [
        {
          productId: 'sku-1',
          productName: 'Espresso beans 1kg',
          quantity: 2,
          unitPrice: 1_899,
          lineTotal: 3_798,
        },
        {
          productId: 'sku-2',
          productName: 'Milk jug',
          quantity: 1,
          unitPrice: 1_250,
          lineTotal: 1_250,
        },
      ],
    });
    expect(order.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(order.createdAt)).not.toBeNaN();
  });

  test('when an order is accepted, then order, items, history and one payment request are stored together', async () => {
    const order = await readJson(await postOrder(app.url, aValidOrder()));

    const stored = await app.sql.query('SELECT status, total_amount FROM orders WHERE id = $1', [
      order.id,
    ]);
    expect(stored.rows).toEqual([{ status: 'PENDING', total_amount: '5048' }]);
    const items = await app.sql.query(
      'SELECT count(*)::int AS n FROM order_items WHERE order_id = $1',
      [order.id],
    );
    expect(items.rows[0].n).toBe(2);
    const history = await app.sql.query(
      'SELECT from_status, to_status FROM order_status_history WHERE order_id = $1',
      [order.id],
    );
    expect(history.rows).toEqual([{ from_status: null, to_status: 'PENDING' }]);

    const outbox = await app.sql.query(
      'SELECT event_id, topic, key, payload FROM outbox WHERE order_id = $1',
      [order.id],
    );
    expect(outbox.rows).toHaveLength(1);
    const [row] = outbox.rows;
    expect(row).toMatchObject({
      topic: 'process_payment_request',
      key: order.id,
    });
    expect(row.payload).toEqual({
      eventId: row.event_id,
      orderId: order.id,
      customerId: 'customer-42',
      amount: 5_048,
      currency: 'EUR',
      occurredAt: expect.any(Number),
    });
  });

  test('when two orders are placed, then each payment request has its own event id', async () => {
    const first = await readJson(await postOrder(app.url, aValidOrder()));
    const second = await readJson(await postOrder(app.url, aValidOrder()));

    const events = await app.sql.query(
      'SELECT DISTINCT event_id FROM outbox WHERE order_id = ANY($1::uuid[])',
      [[first.id, second.id]],
    );
    expect(events.rows).toHaveLength(2);
  });
});
