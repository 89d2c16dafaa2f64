import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadiness } from '../../../../src/entry-points/http/readiness';
import { createApi } from '../../../../src/entry-points/http/server';
import { createLogger } from '../../../../src/shared/logger';
import { createMetrics } from '../../../../src/shared/metrics';

/**
 * The public app's answer to a request that reaches it after shutdown began (a keep-alive
 * connection, a load balancer still sending). Nothing behind it is reached, so no store is needed.
 */
describe('the public API while shutting down', () => {
  let server: Server;
  const readiness = createReadiness([]);
  const metrics = createMetrics();
  beforeAll(async () => {
    // The server's listener: the create route runs without Express (create-order-endpoint.ts).
    const { listener } = createApi({
      readiness,
      authentication: { mode: 'none' },
      rateLimits: { perMinute: { create: 0, read: 0, cancel: 0 } },
      logger: createLogger('silent'),
      metrics,
    } as unknown as Parameters<typeof createApi>[0]);
    server = createServer(listener);
    await new Promise<void>((resolve) => server.listen(0, resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('when shutdown has begun, then an order request gets a 503 problem with Connection: close and Retry-After, and /ready is 503', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    readiness.markStopping();

    const response = await fetch(`${url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect(response.status).toBe(503);
    expect(response.headers.get('connection')).toBe('close');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: '/problems/shutting-down', status: 503 });
    expect((await fetch(`${url}/ready`)).status).toBe(503);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // Refused before any route was entered: no route's latency is skewed by a deploy.
    const { values } = await metrics.httpRequestDuration.get();
    const refusal = values.find((value) => value.labels.status_code === '503');
    expect(refusal?.labels.route).toBe('unmatched');
  });
});
