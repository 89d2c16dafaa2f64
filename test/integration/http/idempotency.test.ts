import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService();

describe('Idempotency-Key on order intake', () => {
  async function countFor(customerId: string) {
    const result = await app.sql.query(
      `SELECT (SELECT count(*) FROM orders WHERE customer_id = $1)::int AS orders,
              (SELECT count(*) FROM outbox o JOIN orders r ON r.id = o.order_id WHERE r.customer_id = $1)::int AS outbox`,
      [customerId],
    );
    return result.rows[0];
  }

  test('when the same request is repeated with its key, then the same order comes back and nothing new is stored', async () => {
    const body = aValidOrder({ customerId: 'idem-1' });
    const first = await postOrder(app.url, body, { 'idempotency-key': 'key-1' });
    const again = await postOrder(app.url, body, { 'idempotency-key': 'key-1' });

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await readJson(again)).toEqual(await readJson(first));
    expect(await countFor('idem-1')).toEqual({ orders: 1, outbox: 1 });
  });

  test('when the repeat differs only in key order and whitespace, then it is still the same request', async () => {
    const body = aValidOrder({ customerId: 'idem-2' });
    const first = await readJson(await postOrder(app.url, body, { 'idempotency-key': 'k' }));
    const reordered = `{ "items": ${JSON.stringify(body.items)}, "currency": "EUR", "customerId": "idem-2" }`;
    const again = await readJson(await postOrder(app.url, reordered, { 'idempotency-key': 'k' }));
    expect(again.id).toBe(first.id);
  });

  test('when the key is reused with a different body, then 422 and nothing new is stored', async () => {
    await postOrder(app.url, aValidOrder({ customerId: 'idem-3' }), { 'idempotency-key': 'key-3' });
    const conflicting = await postOrder(
      app.url,
      aValidOrder({ customerId: 'idem-3', currency: 'USD' }),
      {
        'idempotency-key': 'key-3',
      },
    );

    expect(conflicting.status).toBe(422);
    expect(await readJson(conflicting)).toMatchObject({ type: '/problems/idempotency-key-reused' });
    expect(await countFor('idem-3')).toEqual({ orders: 1, outbox: 1 });
  });

  test('when two customers use the same key, then each gets an order of their own', async () => {
    const a = await readJson(
      await postOrder(app.url, aValidOrder({ customerId: 'idem-4a' }), {
        'idempotency-key': 'shared',
      }),
    );
    const b = await readJson(
      await postOrder(app.url, aValidOrder({ customerId: 'idem-4b' }), {
        'idempotency-key': 'shared',
      }),
    );
    expect(a.id).not.toBe(b.id);
  });

  test('when many requests with one key race, then exactly one order and one outbox row exist', async () => {
    const body = aValidOrder({ customerId: 'idem-race' });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postOrder(app.url, body, { 'idempotency-key': 'race' })),
    );

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    const ids = new Set(
      await Promise.all(responses.map(async (response) => (await readJson(response)).id)),
    );
    expect(ids.size).toBe(1);
    expect(await countFor('idem-race')).toEqual({ orders: 1, outbox: 1 });
  });

  // Printable ASCII without spaces is 0x21 to 0x7e; a space (0x20) is just outside it.
  test.each([
    ['a space inside', 'has space'],
    ['a lone space', ' '],
    ['256 characters', 'k'.repeat(256)],
  ])('when the key holds %s, then 400', async (_case, key) => {
    const response = await postOrder(app.url, aValidOrder(), { 'idempotency-key': key });
    expect(response.status).toBe(400);
  });

  test.each([
    ['the lowest printable character', '!'],
    ['the highest printable character', '~'],
    ['255 characters', 'k'.repeat(255)],
  ])('when the key is %s, then 202', async (_case, key) => {
    const response = await postOrder(app.url, aValidOrder(), { 'idempotency-key': key });
    expect(response.status).toBe(202);
  });
});
