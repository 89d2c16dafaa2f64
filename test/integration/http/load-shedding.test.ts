import { randomUUID } from 'node:crypto';
import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';
import { scrapeMetrics, samplesOf } from '../../support/metrics-scrape';
import { waitFor } from '../../support/wait-for';

// A long statement timeout: the requests held behind the lock must not time out meanwhile.
const app = runningService({
  HTTP_MAX_CONCURRENT_REQUESTS: '2',
  DATABASE_STATEMENT_TIMEOUT_MS: '30000',
});

async function metric(name: string): Promise<number> {
  return samplesOf(await scrapeMetrics(app.adminUrl), name)[0]?.value ?? Number.NaN;
}

const inProgress = (count: number) =>
  waitFor(async () => (await metric('http_requests_in_progress')) === count, {
    timeoutMs: 10_000,
    message: `${count} API requests in progress`,
  });

/**
 * Holds every request that writes or reads an order behind a lock until `release`, on the
 * fixture's own connection (the test reads through it only once the lock is released).
 */
async function lockOrders(): Promise<{ release(): Promise<void> }> {
  await app.sql.query('BEGIN');
  await app.sql.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
  return { release: async () => void (await app.sql.query('ROLLBACK')) };
}

describe('load shedding: at most HTTP_MAX_CONCURRENT_REQUESTS API requests at work at once', () => {
  test('when as many requests as the bound are at work, then one more is refused at once with 503 overloaded and Retry-After, nothing of it is stored, and the next one after them is taken', async () => {
    const shedBefore = await metric('http_requests_shed_total');
    const lock = await lockOrders();
    let held: Promise<Response>[] = [];
    try {
      held = [
        postOrder(app.url, aValidOrder({ customerId: 'held-1' })),
        postOrder(app.url, aValidOrder({ customerId: 'held-2' })),
      ];
      await inProgress(2);

      const startedAt = Date.now();
      const refused = await postOrder(app.url, aValidOrder({ customerId: 'refused' }));
      const refusedRead = await fetch(`${app.url}/api/v1/orders/${randomUUID()}`);
      expect(Date.now() - startedAt).toBeLessThan(2_000);

      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await readJson(refused)).toMatchObject({ type: '/problems/overloaded', status: 503 });
      // One bound for the whole API: a read is refused too.
      expect(refusedRead.status).toBe(503);
      expect(await readJson(refusedRead)).toMatchObject({ type: '/problems/overloaded' });
      // Health is not an API request: a load balancer still sees a live instance.
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
    } finally {
      await lock.release();
    }

    expect((await Promise.all(held)).map((response) => response.status)).toEqual([202, 202]);
    const { rows } = await app.sql.query<{ customer_id: string }>(
      `SELECT customer_id FROM orders WHERE customer_id IN ('held-1', 'held-2', 'refused')
        ORDER BY customer_id`,
    );
    expect(rows.map((row) => row.customer_id)).toEqual(['held-1', 'held-2']);
    expect((await metric('http_requests_shed_total')) - shedBefore).toBe(2);
    await inProgress(0);
    // A handler that fails gives its place back too: after two 404s, two places are still free.
    for (const id of [randomUUID(), randomUUID()]) {
      expect((await fetch(`${app.url}/api/v1/orders/${id}`)).status).toBe(404);
    }
    const after = await Promise.all([
      postOrder(app.url, aValidOrder({ customerId: 'after-1' })),
      postOrder(app.url, aValidOrder({ customerId: 'after-2' })),
    ]);
    expect(after.map((response) => response.status)).toEqual([202, 202]);
  });

  test('when a client gives up on a request at work, then its place stays taken until its work ends, and is given back then', async () => {
    const lock = await lockOrders();
    const abandoned = new AbortController();
    let kept: Promise<Response> | undefined;
    try {
      const gone = fetch(`${app.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(aValidOrder({ customerId: 'gave-up' })),
        signal: abandoned.signal,
      }).catch(() => undefined);
      await inProgress(1);
      abandoned.abort();
      await gone;
      kept = postOrder(app.url, aValidOrder({ customerId: 'kept' }));
      await inProgress(2);

      // The abandoned order is still being written: one more would be a third at work. (Were it
      // taken, it would wait on the lock: the timeout makes that a failure, not a hang.)
      const third = await fetch(`${app.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(aValidOrder({ customerId: 'third' })),
        signal: AbortSignal.timeout(5_000),
      });
      expect(third.status).toBe(503);
    } finally {
      await lock.release();
    }

    expect((await kept)?.status).toBe(202);
    await inProgress(0);
    // The work the client left went on: its order was stored, and the answer was never read.
    const { rows } = await app.sql.query(`SELECT 1 FROM orders WHERE customer_id = 'gave-up'`);
    expect(rows).toHaveLength(1);
  });
});
