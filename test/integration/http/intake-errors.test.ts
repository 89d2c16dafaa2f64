import { aValidOrder, jsonHeaders, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await readJson(response);
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // never a stack trace
  return body;
}

const app = runningService();

describe('order intake rejects bad input with a clear problem', () => {
  test('when the body is malformed JSON, then 400 malformed-json', async () => {
    const response = await postOrder(app.url, '{"customerId": ');
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({
      status: 400,
      type: '/problems/malformed-json',
    });
  });

  test('when the content type is not JSON, then 415', async () => {
    const response = await fetch(`${app.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(aValidOrder()),
    });
    expect(response.status).toBe(415);
    expect(await problemOf(response)).toMatchObject({ type: '/problems/unsupported-media-type' });
  });

  test('when the body is larger than 1 MB, then 413', async () => {
    const huge = aValidOrder({ customerId: 'x'.repeat(1_100_000) });
    const response = await postOrder(app.url, huge);
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toMatchObject({ type: '/problems/body-too-large' });
  });

  test('when the route does not exist, then 404 problem', async () => {
    const response = await fetch(`${app.url}/api/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(await problemOf(response)).toMatchObject({ status: 404, type: '/problems/not-found' });
  });

  test.each([
    ['no body at all', undefined, '(root)'],
    [
      'a float amount',
      aValidOrder({ items: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 9.99 }] }),
      'items.0.unitPrice',
    ],
    [
      'a negative unit price',
      aValidOrder({ items: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: -1 }] }),
      'items.0.unitPrice',
    ],
    ['a lower-case currency', aValidOrder({ currency: 'eur' }), 'currency'],
    ['an unknown currency', aValidOrder({ currency: 'XYZ' }), 'currency'],
    ['no items', aValidOrder({ items: [] }), 'items'],
    [
      '101 items',
      aValidOrder({
        items: Array.from({ length: 101 }, (_, i) => ({
          productId: `p${i}`,
          productName: 'P',
          quantity: 1,
          unitPrice: 1,
        })),
      }),
      'items',
    ],
    [
      'quantity 0',
      aValidOrder({ items: [{ productId: 'a', productName: 'A', quantity: 0, unitPrice: 1 }] }),
      'items.0.quantity',
    ],
    [
      'quantity 1001',
      aValidOrder({ items: [{ productId: 'a', productName: 'A', quantity: 1001, unitPrice: 1 }] }),
      'items.0.quantity',
    ],
    ['a client-supplied total', aValidOrder({ totalAmount: 1 }), '(root)'],
    ['a missing customer id', aValidOrder({ customerId: undefined }), 'customerId'],
    [
      'one product on two lines',
      aValidOrder({
        items: [
          { productId: 'a', productName: 'A', quantity: 1, unitPrice: 1 },
          { productId: 'a', productName: 'A', quantity: 2, unitPrice: 1 },
        ],
      }),
      'items.1.productId',
    ],
    [
      'a zero total',
      aValidOrder({ items: [{ productId: 'a', productName: 'A', quantity: 1, unitPrice: 0 }] }),
      'items',
    ],
  ])('when the order has %s, then 400 naming the field', async (_case, body, field) => {
    const response = await fetch(`${app.url}/api/v1/orders`, {
      method: 'POST',
      headers: body === undefined ? {} : jsonHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.type).toBe('/problems/validation');
    expect(problem.errors.map((error: { path: string }) => error.path)).toContain(field);
  });

  test('when any request is rejected, then nothing is stored', async () => {
    const counts = await app.sql.query(
      'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM outbox)::int AS outbox',
    );
    expect(counts.rows[0]).toEqual({ orders: 0, outbox: 0 });
  });

  test('when the caller sends an X-Request-Id, then it is echoed and put in the problem', async () => {
    const response = await postOrder(app.url, '{', { 'x-request-id': 'trace-abc-123' });
    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    expect((await problemOf(response)).requestId).toBe('trace-abc-123');
  });

  test('when no X-Request-Id is sent, then one is generated', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
