import { randomUUID } from 'node:crypto';
import type { RunningService } from '../../../src/application';
import { readJson, startJoinedOrderService, testConfig } from '../../support/order-service-harness';
import { bearer, customerToken, jwtSettings } from '../../support/auth-tokens';
import { runningService } from '../../support/fixtures/running-service';

const READS = 4;
const CANCELS = 3;
const env = {
  ...jwtSettings(),
  RATE_LIMIT_READS_PER_MINUTE: String(READS),
  RATE_LIMIT_CANCELS_PER_MINUTE: String(CANCELS),
};
// Declared here, outside the describe: the second instance on its database is stopped first.
const first = runningService(env);

/**
 * Two instances of the service on one database, as behind a load balancer: the per-caller
 * limits are counted in Postgres, so together they allow a caller the limit once.
 */
describe('rate limits on every route, per caller, shared by every instance', () => {
  let second: RunningService;
  beforeAll(async () => {
    second = await startJoinedOrderService(testConfig({ ...env, DATABASE_URL: first.databaseUrl }));
  });
  afterAll(async () => {
    await second?.stop();
  });

  /** Fixed one-minute windows: start a sequence well inside one, by the database's clock. */
  async function awayFromWindowEdge() {
    const { rows } = await first.sql.query(
      'SELECT 60 - extract(second FROM clock_timestamp())::float AS left_s',
    );
    if (rows[0].left_s < 8)
      await new Promise((resolve) => setTimeout(resolve, rows[0].left_s * 1_000 + 200));
  }

  const instances = () => [first.url, second.http.url];

  test('when one caller reads through both instances, then together they allow the limit once, and another caller is unaffected', async () => {
    await awayFromWindowEdge();
    const mallory = bearer(await customerToken(`reader-${randomUUID()}`));
    const statuses: number[] = [];
    for (let i = 0; i <= READS; i++) {
      const url = instances()[i % 2];
      statuses.push((await fetch(`${url}/api/v1/orders?limit=100`, { headers: mallory })).status);
    }
    expect(statuses).toEqual([...Array(READS).fill(200), 429]);
    const refused = await fetch(`${second.http.url}/api/v1/orders/${randomUUID()}`, {
      headers: mallory,
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await readJson(refused)).toMatchObject({ type: '/problems/rate-limited' });

    const alice = bearer(await customerToken(`reader-${randomUUID()}`));
    expect((await fetch(`${first.url}/api/v1/orders`, { headers: alice })).status).toBe(200);
  });

  test('when one caller asks for cancellations through both instances, then they are limited together, refused ones included', async () => {
    await awayFromWindowEdge();
    const mallory = bearer(await customerToken(`canceller-${randomUUID()}`));
    const statuses: number[] = [];
    for (let i = 0; i <= CANCELS; i++) {
      const url = instances()[i % 2];
      const response = await fetch(`${url}/api/v1/orders/${randomUUID()}/cancel`, {
        method: 'POST',
        headers: mallory,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(CANCELS).fill(404), 429]);
  });

  test('when limits are counted, then one row per caller and route class holds them', async () => {
    // Reads of its own, through both instances: the read test may not have run before it.
    await awayFromWindowEdge();
    const subject = `counted-${randomUUID()}`;
    const caller = bearer(await customerToken(subject));
    for (let i = 0; i < 3; i++) {
      const url = instances()[i % 2];
      expect((await fetch(`${url}/api/v1/orders`, { headers: caller })).status).toBe(200);
    }

    const { rows } = await first.sql.query(
      `SELECT key, hits FROM rate_limit_windows WHERE key LIKE $1`,
      [`read:customer:${subject}%`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].hits).toBe(3);
  });
});
