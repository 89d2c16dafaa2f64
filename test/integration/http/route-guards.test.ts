import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { aValidOrder } from '../../support/order-service-harness';
import { bearer, customerToken, jwtSettings } from '../../support/auth-tokens';
import { ORDER_BODY_LIMIT_BYTES } from '../../../src/entry-points/http/order-routes';
import { runningService } from '../../support/fixtures/running-service';

interface RawAnswer {
  status: number;
  body: string;
  contentType: string | undefined;
}

/** One request with the path exactly as written (fetch would normalise it). */
function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<RawAnswer> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text,
          contentType: res.headers['content-type'],
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const jsonHeaders = (body: Buffer, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'content-length': String(body.length),
  ...extra,
});

const LIMIT = 2;
const app = runningService({ ...jwtSettings(), RATE_LIMIT_PER_MINUTE: String(LIMIT) });

describe('route guards: one spelling per path, the limiter on the route, bodies read after authentication', () => {
  const ordersOf = async (customerId: string) =>
    (
      await app.sql.query('SELECT count(*)::int AS n FROM orders WHERE customer_id = $1', [
        customerId,
      ])
    ).rows[0].n;

  test.each([
    '/api/v1/orders/',
    '/api/v1/orders//',
    '/api/v1//orders',
    '//api/v1/orders',
    '/api/v1/orders///',
    '/api/v1/orders/?x=1',
  ])(
    'when a path spells an empty segment (%s), then 404 problem+json before any route',
    async (path) => {
      const body = json(aValidOrder({ customerId: undefined }));
      const answer = await send(app.url, 'POST', path, jsonHeaders(body), body);
      expect(answer.status).toBe(404);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
    },
  );

  test('when a customer has used up the limit, then no spelling of the create path places another order', async () => {
    const token = bearer(await customerToken('spelling-mallory'));
    const body = json(aValidOrder({ customerId: undefined }));
    for (let i = 0; i < LIMIT; i++) {
      expect(
        (await send(app.url, 'POST', '/api/v1/orders', jsonHeaders(body, token), body)).status,
      ).toBe(202);
    }
    const spellings = [
      '/api/v1/orders',
      '/api/v1/orders/',
      '/api/v1/orders//',
      '//api/v1/orders',
      '/api/v1//orders',
      '/API/v1/orders',
      '/api/v1/Orders',
      '/api/v1/orders%2F',
      '/api/v1/orders/.',
      '/api/v1/orders?',
      '/api/v1/orders#x',
    ];
    const statuses: Record<string, number> = {};
    for (const path of spellings) {
      statuses[path] = (await send(app.url, 'POST', path, jsonHeaders(body, token), body)).status;
    }
    expect(
      Object.entries(statuses).filter(([, status]) => status !== 404 && status !== 429),
    ).toEqual([]);
    expect(await ordersOf('spelling-mallory')).toBe(LIMIT);
  });

  test('when an anonymous client posts gzip-compressed malformed JSON to an unknown path, then 404: the body is never inflated or parsed', async () => {
    const body = gzipSync('{"not json');
    const answer = await send(
      app.url,
      'POST',
      '/anything',
      jsonHeaders(body, { 'content-encoding': 'gzip' }),
      body,
    );
    expect(answer.status).toBe(404);
  });

  test('when an anonymous client posts gzip-compressed malformed JSON to the create route, then 401, not 400', async () => {
    const body = gzipSync('{"not json');
    const answer = await send(
      app.url,
      'POST',
      '/api/v1/orders',
      jsonHeaders(body, { 'content-encoding': 'gzip' }),
      body,
    );
    expect(answer.status).toBe(401);
  });

  test('when an authenticated body inflates far past the limit (a gzip bomb), then 413 quickly', async () => {
    const token = bearer(await customerToken('bomb-thrower'));
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MB of spaces
    const started = performance.now();
    const answer = await send(
      app.url,
      'POST',
      '/api/v1/orders',
      jsonHeaders(bomb, { 'content-encoding': 'gzip', ...token }),
      bomb,
    );
    const elapsedMs = performance.now() - started;
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ type: '/problems/body-too-large' });
    expect(elapsedMs).toBeLessThan(1_000);
  });

  test('when a body inflates to just past the limit derived from the schema, then 413; the largest valid order, every character escaped, is accepted', async () => {
    const token = bearer(await customerToken('largest-order'));
    expect(ORDER_BODY_LIMIT_BYTES).toBeGreaterThan(150_000);
    expect(ORDER_BODY_LIMIT_BYTES).toBeLessThan(400_000);
    const padded = Buffer.alloc(ORDER_BODY_LIMIT_BYTES + 1, 0x20);
    padded.write('{}', 0);
    const tooLarge = gzipSync(padded);
    const refused = await send(
      app.url,
      'POST',
      '/api/v1/orders',
      jsonHeaders(tooLarge, { 'content-encoding': 'gzip', ...token }),
      tooLarge,
    );
    expect(refused.status).toBe(413);

    // Every string at its longest, each UTF-16 unit written as a \uXXXX escape.
    const escaped = (char: string, length: number) =>
      `"${`\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`.repeat(length)}"`;
    const items = Array.from(
      { length: 100 },
      (_, i) =>
        `{"productId":${escaped(String.fromCharCode(0x4e00 + i), 64)},` +
        `"productName":${escaped('n', 200)},"quantity":1000,"unitPrice":10000000000}`,
    );
    const largest = Buffer.from(
      `{"customerId":"largest-order","currency":"EUR","items":[${items.join(',')}]}`,
    );
    const accepted = await send(
      app.url,
      'POST',
      '/api/v1/orders',
      jsonHeaders(largest, token),
      largest,
    );
    expect(accepted.status).toBe(202);
  });
});
