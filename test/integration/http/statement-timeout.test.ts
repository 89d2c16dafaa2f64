import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService({ DATABASE_STATEMENT_TIMEOUT_MS: '300' });

describe('statement_timeout: no request waits on the database for ever', () => {
  test('when a statement waits longer than DATABASE_STATEMENT_TIMEOUT_MS, then Postgres cancels it and the client gets 503, not a hang', async () => {
    const { id } = await readJson(await postOrder(app.url, aValidOrder()));
    await app.sql.query('BEGIN');
    await app.sql.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    try {
      const startedAt = Date.now();
      const response = await fetch(`${app.url}/api/v1/orders/${id}`);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await readJson(response)).toMatchObject({ type: '/problems/database-unavailable' });
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    } finally {
      await app.sql.query('ROLLBACK');
    }
    // The connection went back to the pool in working order.
    expect((await fetch(`${app.url}/api/v1/orders/${id}`)).status).toBe(200);
  });

  test('when the service connects, then the API, the saga and the console use pools of their own, named in pg_stat_activity', async () => {
    await fetch(`${app.url}/api/v1/orders`);
    const { rows } = await app.sql.query(
      `SELECT DISTINCT application_name FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'order-service-%'`,
    );
    // The console's pool connects on its first use (its reconciler at start, or a page).
    const names = rows.map((row) => row.application_name as string);
    expect(names).toEqual(expect.arrayContaining(['order-service-http', 'order-service-saga']));
    expect(names.filter((name) => !/^order-service-(http|saga|console)$/.test(name))).toEqual([]);
  });
});
