import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { gzipSync } from 'node:zlib';
import { newOrderView, type OrderStore } from '../../../../src/domain/order-store';
import type { OrderView } from '../../../../src/domain/order-view';
import { createReadiness } from '../../../../src/entry-points/http/readiness';
import { createApi } from '../../../../src/entry-points/http/server';
import { createLogger } from '../../../../src/shared/logger';
import { createMetrics } from '../../../../src/shared/metrics';
import { bearer, customerToken, jwtSettings } from '../../../support/auth-tokens';

/**
 * The server runs `POST /api/v1/orders` without Express (create-order-endpoint.ts) and every
 * other request through the Express app. Both are built from the same steps; this test holds
 * them to the same answers: the same requests go to the Express app alone and to the server's
 * listener, and status, headers and body must agree, the request's own ids aside. The store is
 * a map in memory: what is compared is the HTTP edge, not the database behind it.
 */
describe('the create route without Express', () => {
  const servers: Server[] = [];
  let viaExpress: string;
  let viaServer: string;
  let app: Express;

  beforeAll(async () => {
    const api = createApi({
      orders: inMemoryOrders(),
      saga: {} as never,
      stepTimeouts: { payment: 60_000, inventory: 60_000 },
      readiness: createReadiness([]),
      authentication: { mode: 'jwt', secret: jwtSettings().AUTH_JWT_SECRET },
      rateLimits: { perMinute: { create: 0, read: 0, cancel: 0 } },
      logger: createLogger('silent'),
      metrics: createMetrics(),
    });
    app = api.app;
    viaExpress = await serve(app as unknown as RequestListener);
    viaServer = await serve(api.listener);
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((done) => s.close(done)))));

  async function serve(listener: RequestListener): Promise<string> {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const order = {
    currency: 'EUR',
    items: [{ productId: 'sku-1', productName: 'Beans', quantity: 2, unitPrice: 1_899 }],
  };

  const cases: Array<[string, (token: Record<string, string>) => Request]> = [
    ['a valid order', (token) => ({ headers: { ...token, ...json }, body: JSON.stringify(order) })],
    ['no token', () => ({ headers: json, body: JSON.stringify(order) })],
    [
      'a malformed token',
      () => ({ headers: { authorization: 'Bearer x.y', ...json }, body: '{}' }),
    ],
    ['malformed JSON', (token) => ({ headers: { ...token, ...json }, body: '{"currency":' })],
    ['a JSON string, not an object', (token) => ({ headers: { ...token, ...json }, body: '"x"' })],
    ['no body', (token) => ({ headers: token })],
    [
      'text/plain',
      (token) => ({ headers: { ...token, 'content-type': 'text/plain' }, body: '{}' }),
    ],
    [
      'Latin-1 JSON',
      (token) => ({
        headers: { ...token, 'content-type': 'application/json; charset=latin1' },
        body: JSON.stringify(order),
      }),
    ],
    [
      'a body over the limit',
      (token) => ({ headers: { ...token, ...json }, body: `{"x":"${'a'.repeat(200_000)}"}` }),
    ],
    [
      'an invalid order',
      (token) => ({
        headers: { ...token, ...json },
        body: JSON.stringify({ ...order, currency: 'eur' }),
      }),
    ],
    [
      'a gzip body',
      (token) => ({
        headers: { ...token, ...json, 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(order)),
      }),
    ],
    [
      'an unsupported encoding',
      (token) => ({ headers: { ...token, ...json, 'content-encoding': 'zz' }, body: '{}' }),
    ],
    [
      'a bad Idempotency-Key',
      (token) => ({
        headers: { ...token, ...json, 'idempotency-key': 'has space' },
        body: JSON.stringify(order),
      }),
    ],
    [
      'a query string',
      (token) => ({ headers: { ...token, ...json }, body: JSON.stringify(order), query: '?a=1' }),
    ],
  ];

  test.each(cases)('when %s is posted, then both answer alike', async (_name, request) => {
    const [express, server] = await Promise.all(
      [viaExpress, viaServer].map(async (url, n) =>
        answerOf(url, request(bearer(await customerToken(`alike-${n}`)))),
      ),
    );
    expect(server).toEqual(express);
  });

  test('when the same Idempotency-Key is posted twice, then both replay the first order', async () => {
    const answers = await Promise.all(
      [viaExpress, viaServer].map(async (url, n) => {
        const headers = {
          ...bearer(await customerToken(`replay-${n}`)),
          ...json,
          'idempotency-key': 'k-1',
        };
        const first = await answerOf(url, { headers, body: JSON.stringify(order) });
        const again = await answerOf(url, { headers, body: JSON.stringify(order) });
        const reused = await answerOf(url, {
          headers,
          body: JSON.stringify({ ...order, currency: 'USD' }),
        });
        return [first, again, reused];
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]?.map((answer) => answer.status)).toEqual([202, 202, 422]);
    expect(answers[1]?.[1]?.headers['idempotent-replayed']).toBe('true');
  });

  test('when an order is posted to the server, then Express does not handle it; other requests it does', async () => {
    // Express dispatches every request it serves through `app.handle`.
    const handled = jest.spyOn(app as unknown as { handle: () => void }, 'handle');
    const headers = { ...bearer(await customerToken('no-express')), ...json };
    const posted = await fetch(`${viaServer}/api/v1/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify(order),
    });
    expect(posted.status).toBe(202);
    expect(handled).not.toHaveBeenCalled();

    expect((await fetch(`${viaServer}/health`)).status).toBe(200);
    expect(handled).toHaveBeenCalledTimes(1);
    handled.mockRestore();
  });
});

const json = { 'content-type': 'application/json' };

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Headers that differ by connection or by request. */
const PER_REQUEST = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

async function answerOf(url: string, { headers, body, query = '' }: Request): Promise<Answer> {
  const response = await fetch(`${url}/api/v1/orders${query}`, { method: 'POST', headers, body });
  const text = await response.text();
  const kept = [...response.headers].filter(([name]) => !PER_REQUEST.has(name));
  return {
    status: response.status,
    headers: Object.fromEntries(kept.map(([name, value]) => [name, withoutIds(value)])),
    body: text === '' ? '' : JSON.parse(withoutIds(text)),
  };
}

type Request = { headers?: Record<string, string>; body?: string | Buffer; query?: string };

/** Order ids, request ids, times and the test's subjects, which differ by request. */
function withoutIds(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .replace(/(alike|replay)-\d/g, '$1-n');
}

function inMemoryOrders(): OrderStore {
  const byKey = new Map<string, { order: OrderView; requestHash: string | null }>();
  return {
    async insertNewOrder(record) {
      const order = newOrderView(record, new Date().toISOString());
      if (record.idempotencyKey !== null) {
        byKey.set(`${record.customerId} ${record.idempotencyKey}`, {
          order,
          requestHash: record.requestHash,
        });
      }
      return order;
    },
    async findByIdempotencyKey(customerId, key) {
      return byKey.get(`${customerId} ${key}`) ?? null;
    },
    findById: () => Promise.reject(new Error('not for this test')),
    list: () => Promise.reject(new Error('not for this test')),
  };
}
