// Drill 8: hostile HTTP among the valid load. Random and malformed paths, methods, headers and
// bodies must get a 4xx, never a 5xx; oversized and deeply nested bodies and slow clients must
// hit a limit or a timeout. Each answer is checked; the valid orders go on completing meanwhile.
// The hostile requests are no fault window: 90 % of the valid orders must be accepted all along,
// and a hostile request that kills an instance fails the drill (the instance is down at the end,
// and the valid orders it was serving saw their connections refused).
import { connect } from 'node:net';
import { underLoad, type Drill } from './drill';
import type { DrillStack } from './drill-stack';
import { between, pick, type Random } from './seeded-random';

/** The drill shortens the slow-client timeouts (documented settings) so it can wait them out. */
const TIMEOUTS = { HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '4000' };

/**
 * The requests a server may end by closing the connection (an upload cut short at its limit, a
 * slow or broken request line). A closed connection on any other request is a violation: it is
 * what a request that kills the instance looks like from here.
 */
const MAY_BE_CLOSED = new Set([
  '5 MB body',
  'huge items array',
  'header 100 kB',
  'slow body',
  'slow headers',
  'broken header line',
  'bad content-length',
  'not HTTP',
]);

interface Attempt {
  what: string;
  status: number | 'closed';
}

function garbage(random: Random, length: number): string {
  return Array.from({ length }, () => String.fromCharCode(between(random, 0, 0xffff))).join('');
}

/** Percent-encoded; a lone surrogate (which encodeURIComponent refuses) becomes U+FFFD first. */
function inPath(text: string): string {
  return encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
}

function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** One random hostile request through fetch. */
function hostileRequest(random: Random, stack: DrillStack) {
  const auth = stack.authorization;
  const json = { 'content-type': 'application/json', ...auth };
  const valid = {
    customerId: 'drill-customer',
    currency: 'EUR',
    items: [{ productId: 'sku-1', productName: 'x', quantity: 1, unitPrice: 100 }],
  };
  const cases: Array<() => { what: string; path: string; init: RequestInit }> = [
    () => ({
      what: 'random path',
      path: `/api/v1/${inPath(garbage(random, 20))}`,
      init: { headers: auth },
    }),
    () => ({
      what: 'random order id',
      path: `/api/v1/orders/${inPath(garbage(random, 40))}`,
      init: { headers: auth },
    }),
    () => ({
      what: 'odd method',
      path: '/api/v1/orders',
      init: { method: pick(random, ['PUT', 'DELETE', 'PATCH']), headers: auth },
    }),
    () => ({
      what: 'malformed JSON',
      path: '/api/v1/orders',
      init: { method: 'POST', headers: json, body: `{"items": [${garbage(random, 30)}` },
    }),
    () => ({
      what: 'random bytes',
      path: '/api/v1/orders',
      init: { method: 'POST', headers: json, body: garbage(random, 200) },
    }),
    () => ({
      what: 'wrong types',
      path: '/api/v1/orders',
      init: {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ...valid, currency: 7, items: 'many' }),
      },
    }),
    () => ({
      what: 'NUL in a field',
      path: '/api/v1/orders',
      init: {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ...valid, customerId: 'a\u0000b' }),
      },
    }),
    () => ({
      what: 'no token',
      path: '/api/v1/orders',
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(valid),
      },
    }),
    () => ({
      what: 'bad token',
      path: '/api/v1/orders',
      init: {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${garbage(random, 50).replace(/[^\x21-\x7e]/g, 'x')}`,
        },
        body: JSON.stringify(valid),
      },
    }),
    () => ({
      what: 'text/plain body',
      path: '/api/v1/orders',
      init: { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'hello' },
    }),
    () => ({
      what: 'bad query',
      path: `/api/v1/orders?limit=${garbage(random, 5)}&cursor=${inPath(garbage(random, 30))}&status=NOPE`,
      init: { headers: auth },
    }),
    () => ({
      what: 'huge items array',
      path: '/api/v1/orders',
      init: {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ ...valid, items: Array(20_000).fill(valid.items[0]) }),
      },
    }),
    () => ({
      what: 'deep JSON',
      path: '/api/v1/orders',
      init: { method: 'POST', headers: json, body: deepJson(50_000) },
    }),
    () => ({
      what: '5 MB body',
      path: '/api/v1/orders',
      init: { method: 'POST', headers: json, body: `{"customerId":"${'x'.repeat(5 * 2 ** 20)}"}` },
    }),
  ];
  return pick(random, cases)();
}

async function send(stack: DrillStack, random: Random): Promise<Attempt> {
  const { what, path, init } = hostileRequest(random, stack);
  const instance = pick(random, stack.instances);
  try {
    const response = await fetch(`${instance.url}${path}`, {
      ...init,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    return { what, status: response.status };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return { what, status: 0 };
    return { what, status: 'closed' }; // an oversized upload cut short, or worse (MAY_BE_CLOSED)
  }
}

/** A raw request written slowly or with broken headers; resolves with the status line's code. */
function rawRequest(
  stack: DrillStack,
  what: string,
  head: string,
  dripMs?: number,
): Promise<Attempt> {
  const url = new URL(stack.instances[0]?.url as string);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    let drip: NodeJS.Timeout | undefined;
    const done = (status: Attempt['status']) => {
      clearInterval(drip);
      socket.destroy();
      resolve({ what, status });
    };
    const guard = setTimeout(() => done(0), 20_000);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (match) {
        clearTimeout(guard);
        done(Number(match[1]));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      done('closed');
    });
    socket.write(head);
    if (dripMs) drip = setInterval(() => socket.write('x'), dripMs);
  });
}

export const hostileHttpDrill: Drill = {
  name: 'hostile HTTP',
  async run(context) {
    const requests = context.mode === 'long' ? 3_000 : 400;
    return underLoad(
      this.name,
      context,
      { ordersPerSecond: 15, minAcceptedShare: 0.9, settleTimeoutMs: 120_000, env: TIMEOUTS },
      async (stack) => {
        const attempts: Attempt[] = [];
        const auth = stack.authorization.authorization as string;
        const host = 'Host: 127.0.0.1\r\n';
        attempts.push(
          ...(await Promise.all([
            rawRequest(
              stack,
              'slow body',
              `POST /api/v1/orders HTTP/1.1\r\n${host}Authorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`,
              500,
            ),
            rawRequest(stack, 'slow headers', `GET /health HTTP/1.1\r\n${host}X-Slow: `, 500),
            rawRequest(
              stack,
              'header 100 kB',
              `GET /health HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
            ),
            rawRequest(
              stack,
              'broken header line',
              `GET /health HTTP/1.1\r\n${host}Bad Header\r\n\r\n`,
            ),
            rawRequest(
              stack,
              'bad content-length',
              `POST /api/v1/orders HTTP/1.1\r\n${host}Content-Length: -5\r\n\r\n`,
            ),
            rawRequest(
              stack,
              'broken percent-escape',
              `GET /api/v1/orders/%E0%A4%A HTTP/1.1\r\n${host}Authorization: ${auth}\r\n\r\n`,
            ),
            rawRequest(stack, 'not HTTP', `${'\u0001\u0002garbage'.repeat(10)}\r\n\r\n`),
          ])),
        );
        for (let sent = 0; sent < requests; sent += 8) {
          attempts.push(
            ...(await Promise.all(Array.from({ length: 8 }, () => send(stack, context.random)))),
          );
        }
        const violations: string[] = [];
        const tally = new Map<string, number>();
        for (const { what, status } of attempts) {
          const key = `${what} → ${status}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
        for (const [key, count] of tally) {
          const [what, status] = key.split(' → ') as [string, string];
          const limitHit =
            (status === 'closed' && MAY_BE_CLOSED.has(what)) || /^4\d\d$/.test(status);
          if (!limitHit)
            violations.push(`${count} × ${key} (a 4xx, a limit or a timeout expected)`);
        }
        context.log(
          `hostile HTTP: ${[...tally].map(([key, count]) => `${count} × ${key}`).join('; ')}`,
        );
        return {
          faults: `${attempts.length} hostile requests of ${tally.size} kinds`,
          violations,
        };
      },
    );
  },
};
