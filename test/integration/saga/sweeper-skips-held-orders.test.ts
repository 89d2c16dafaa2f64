import { Client } from 'pg';
import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

jest.setTimeout(60_000);

const app = runningService({ SAGA_PAYMENT_TIMEOUT_MS: '1000', SAGA_SWEEP_INTERVAL_MS: '50' });

/**
 * The sweeper claims due orders with FOR UPDATE SKIP LOCKED: an order whose row another
 * transaction holds (a reply being applied, another instance's sweeper) is skipped, not waited
 * for, so the other due orders still expire on time.
 */
describe('deadline sweeper: an order held by another transaction', () => {
  let holder: Client;

  beforeAll(async () => {
    holder = new Client({ connectionString: app.databaseUrl });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
  });

  const statusOf = async (orderId: string): Promise<string> =>
    (await app.sql.query('SELECT status FROM orders WHERE id = $1', [orderId])).rows[0].status;

  test('when one due order is locked elsewhere, then the others still expire, and it expires once released', async () => {
    const [held, free] = await Promise.all(
      [0, 1].map(
        async () => (await readJson(await postOrder(app.url, aValidOrder()))).id as string,
      ),
    );
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [held]);

    await waitFor(async () => (await statusOf(free)) === 'FAILED', {
      timeoutMs: 15_000,
      message: 'the free order expired while the other is held',
    });
    expect(await statusOf(held)).toBe('PENDING');

    await holder.query('COMMIT');
    await waitFor(async () => (await statusOf(held)) === 'FAILED', {
      timeoutMs: 15_000,
      message: 'the held order expired once released',
    });
  });
});
