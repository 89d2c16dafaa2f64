import { connect } from 'node:net';
import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

/** Opens a connection, sends `head` and nothing more; resolves with what the server said and when. */
function slowClient(
  baseUrl: string,
  head: string,
): Promise<{ answer: string; closedAfterMs: number }> {
  const { port } = new URL(baseUrl);
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - startedAt }));
    socket.on('error', reject);
    socket.setTimeout(15_000, () =>
      socket.destroy(new Error('the server never closed the connection')),
    );
  });
}

const app = runningService({
  HTTP_HEADERS_TIMEOUT_MS: '1000',
  HTTP_REQUEST_TIMEOUT_MS: '2000',
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
});

describe('HTTP hardening: security headers, slow clients, the admin port', () => {
  test('when any answer is sent, then it carries the security headers of a JSON API', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  test('when an order is answered, then no cache may keep it', async () => {
    const response = await postOrder(app.url, aValidOrder());
    expect(response.status).toBe(202);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  test('when a client sends its headers too slowly, then the server answers 408 and closes within the timeout', async () => {
    const { answer, closedAfterMs } = await slowClient(
      app.url,
      'GET /api/v1/orders HTTP/1.1\r\nHost: x\r\n', // and the rest never comes
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  test('when a client sends its body too slowly, then the server cuts it off after the request timeout', async () => {
    const { answer, closedAfterMs } = await slowClient(
      app.url,
      'POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"cust',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeLessThan(6_000);
  });

  test('when a keep-alive connection stays idle, then the server closes it', async () => {
    const { answer, closedAfterMs } = await slowClient(
      app.url,
      'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  test('when /metrics is asked for on the public port, then it is not there', async () => {
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('process_cpu');
  });

  test('when /metrics is asked for on the admin port, then Prometheus text comes back', async () => {
    const response = await fetch(`${app.adminUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('saga_events_total');
  });

  test('when /ready is asked for, then the public port says only ready, the admin port says why', async () => {
    expect(await readJson(await fetch(`${app.url}/ready`))).toEqual({ status: 'ready' });
    expect(await readJson(await fetch(`${app.adminUrl}/ready`))).toMatchObject({
      status: 'ready',
      checks: { database: { ok: true } },
      kafkaProducerBreaker: 'closed',
    });
  });

  test('when the admin port is asked for the orders API, then it is not there', async () => {
    expect((await fetch(`${app.adminUrl}/api/v1/orders`)).status).toBe(404);
  });
});
