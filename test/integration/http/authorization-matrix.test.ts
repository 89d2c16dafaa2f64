import { aValidOrder, jsonHeaders, postOrder, readJson } from '../../support/order-service-harness';
import { bearer, customerToken, jwtSettings, operatorToken } from '../../support/auth-tokens';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService(jwtSettings());

/**
 * docs/security.md's "Who may do what", row by row, over HTTP with real tokens: every kind of caller
 * against every endpoint, including another customer's order for read, list and cancel.
 */
describe('authorization: who may do what', () => {
  const as: Record<'alice' | 'bob' | 'operator' | 'nobody', Record<string, string>> = {
    alice: {},
    bob: {},
    operator: {},
    nobody: {},
  };
  /** Orders placed in beforeAll, by owner; the cancel rows use orders of their own. */
  const orders: Record<string, string> = {};

  beforeAll(async () => {
    as.alice = bearer(await customerToken('alice'));
    as.bob = bearer(await customerToken('bob'));
    as.operator = bearer(await operatorToken('ops-1'));
    for (const name of ['alice', 'bob', 'aliceToCancel', 'bobToCancel', 'bobProbed']) {
      const owner = name.startsWith('alice') ? as.alice : as.bob;
      const response = await postOrder(app.url, aValidOrder({ customerId: undefined }), owner);
      expect(response.status).toBe(202);
      orders[name] = (await readJson(response)).id;
    }
  });

  const get = (path: string, headers: Record<string, string>) =>
    fetch(`${app.url}${path}`, { headers });
  const cancel = (id: string | undefined, headers: Record<string, string>) =>
    fetch(`${app.url}/api/v1/orders/${id}/cancel`, {
      method: 'POST',
      headers: { ...jsonHeaders, ...headers },
      body: '{}',
    });
  const statusOf = async (id: string | undefined) =>
    (await app.sql.query('SELECT status FROM orders WHERE id = $1', [id])).rows[0]?.status;

  describe('POST /api/v1/orders', () => {
    test('when a customer leaves customerId out, then the order is placed for its token subject', async () => {
      const response = await postOrder(app.url, aValidOrder({ customerId: undefined }), as.alice);
      expect(response.status).toBe(202);
      expect((await readJson(response)).customerId).toBe('alice');
    });

    test('when a customer names itself, then the order is placed', async () => {
      const response = await postOrder(app.url, aValidOrder({ customerId: 'alice' }), as.alice);
      expect(response.status).toBe(202);
    });

    test.each([
      ['a customer names another customer', 'alice', { customerId: 'bob' }],
      ['an operator places an order', 'operator', { customerId: 'bob' }],
    ] as const)('when %s, then 403 and nothing is stored', async (_case, who, overrides) => {
      const before = await app.sql.query('SELECT count(*)::int AS n FROM orders');
      const response = await postOrder(app.url, aValidOrder(overrides), as[who]);
      expect(response.status).toBe(403);
      expect(await readJson(response)).toMatchObject({ type: '/problems/forbidden', status: 403 });
      const after = await app.sql.query('SELECT count(*)::int AS n FROM orders');
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    test('when nobody is signed in, then 401', async () => {
      expect((await postOrder(app.url, aValidOrder())).status).toBe(401);
    });
  });

  describe('GET /api/v1/orders/:id', () => {
    test('when a customer reads its own order, then 200', async () => {
      const response = await get(`/api/v1/orders/${orders.alice}`, as.alice);
      expect(response.status).toBe(200);
      expect((await readJson(response)).id).toBe(orders.alice);
    });

    test("when a customer reads another customer's order, then 404 exactly as for an order that does not exist", async () => {
      const someoneElses = await get(`/api/v1/orders/${orders.bob}`, as.alice);
      const unknownId = '00000000-0000-4000-8000-000000000000';
      const nonexistent = await get(`/api/v1/orders/${unknownId}`, as.alice);
      expect(someoneElses.status).toBe(404);
      expect(nonexistent.status).toBe(404);
      const [a, b] = [await readJson(someoneElses), await readJson(nonexistent)];
      expect({ ...a, requestId: 0 }).toEqual({
        ...b,
        requestId: 0,
        detail: b.detail.replace(unknownId, orders.bob),
      });
    });

    test('when an operator reads any order, then 200', async () => {
      expect((await get(`/api/v1/orders/${orders.bob}`, as.operator)).status).toBe(200);
      expect((await get(`/api/v1/orders/${orders.alice}`, as.operator)).status).toBe(200);
    });

    test('when nobody is signed in, then 401', async () => {
      expect((await get(`/api/v1/orders/${orders.alice}`, as.nobody)).status).toBe(401);
    });
  });

  describe('GET /api/v1/orders', () => {
    const customersIn = async (response: Response) =>
      new Set(
        (await readJson(response)).items.map((order: { customerId: string }) => order.customerId),
      );

    test('when a customer lists without a filter, then it sees only its own orders', async () => {
      const response = await get('/api/v1/orders?limit=100', as.alice);
      expect(response.status).toBe(200);
      expect(await customersIn(response)).toEqual(new Set(['alice']));
    });

    test("when a customer asks for another customer's orders, then 403", async () => {
      const response = await get('/api/v1/orders?customerId=bob', as.alice);
      expect(response.status).toBe(403);
    });

    test('when an operator lists, then it sees every customer, or the one it filters by', async () => {
      const all = await get('/api/v1/orders?limit=100', as.operator);
      expect(await customersIn(all)).toEqual(new Set(['alice', 'bob']));
      const bobs = await get('/api/v1/orders?limit=100&customerId=bob', as.operator);
      expect(await customersIn(bobs)).toEqual(new Set(['bob']));
    });

    test('when nobody is signed in, then 401', async () => {
      expect((await get('/api/v1/orders', as.nobody)).status).toBe(401);
    });
  });

  describe('POST /api/v1/orders/:id/cancel', () => {
    test("when a customer cancels another customer's order, then 404 and the order is untouched", async () => {
      const response = await cancel(orders.bobProbed, as.alice);
      expect(response.status).toBe(404);
      expect(await readJson(response)).toMatchObject({ type: '/problems/not-found' });
      expect(await statusOf(orders.bobProbed)).toBe('PENDING');
      const emitted = await app.sql.query(
        "SELECT count(*)::int AS n FROM outbox WHERE order_id = $1 AND topic <> 'process_payment_request'",
        [orders.bobProbed],
      );
      expect(emitted.rows[0].n).toBe(0);
    });

    test('when a customer cancels its own order, then 200 and the reason says who', async () => {
      const response = await cancel(orders.aliceToCancel, as.alice);
      expect(response.status).toBe(200);
      const order = await readJson(response);
      expect(order.status).toBe('CANCELLED');
      expect(order.history.at(-1).reason).toContain('(cancelled by the customer)');
    });

    test("when an operator cancels a customer's order, then 200 and the reason says an operator did", async () => {
      const response = await cancel(orders.bobToCancel, as.operator);
      expect(response.status).toBe(200);
      expect((await readJson(response)).history.at(-1).reason).toContain(
        '(cancelled by an operator)',
      );
    });

    test('when nobody is signed in, then 401 and the order is untouched', async () => {
      expect((await cancel(orders.bobProbed, as.nobody)).status).toBe(401);
      expect(await statusOf(orders.bobProbed)).toBe('PENDING');
    });
  });

  describe('probes and the admin port', () => {
    test('when a load balancer probes without a token, then /health and /ready answer', async () => {
      expect((await get('/health', as.nobody)).status).toBe(200);
      expect((await get('/ready', as.nobody)).status).toBe(200);
    });

    test('when metrics are scraped on the admin port, then no token is needed', async () => {
      expect((await fetch(`${app.adminUrl}/metrics`)).status).toBe(200);
    });
  });
});
