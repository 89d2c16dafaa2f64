import { jwtSettings, mintToken } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { startTestService, type TestService } from '../../support/order-service-harness';

const GROUP = '0123456789abcdef';
const RECORD = 'records/t.payment_successful_dlq/0/0';
const ORDER = '5f0c6d43-8a6e-4d2b-9a43-3c1b2f0e9d11';

/** Every console endpoint: reads are for viewers and operators, actions for operators only. */
const READS: Array<[string, string]> = [
  ['GET', 'session'],
  ['GET', 'overview'],
  ['GET', 'audit'],
  ['GET', 'failures/groups'],
  ['GET', `failures/groups/${GROUP}`],
  ['POST', `failures/groups/${GROUP}/dry-run`],
  ['GET', `failures/${RECORD}`],
  ['POST', `failures/${RECORD}/dry-run`],
  ['POST', `failures/${RECORD}/reveal`],
  ['GET', 'orders/search?q=customer-7'],
  ['GET', `orders/${ORDER}/journey`],
];
const ACTIONS: Array<[string, string]> = [
  ['POST', `failures/groups/${GROUP}/replay`],
  ['POST', `failures/groups/${GROUP}/skip`],
  ['POST', `failures/groups/${GROUP}/mark`],
  ['POST', `failures/groups/${GROUP}/unmark`],
  ['POST', `failures/${RECORD}/replay`],
  ['POST', `failures/${RECORD}/skip`],
  ['POST', `failures/${RECORD}/mark`],
  ['POST', `failures/${RECORD}/unmark`],
  ['POST', 'failures/reconcile'],
  ['POST', `orders/${ORDER}/cancel`],
];
const UNKNOWN: Array<[string, string]> = [
  ['GET', ''],
  ['GET', 'no-such-page'],
  ['POST', 'failures/no-such-action'],
  ['DELETE', 'audit'],
];

/**
 * The console's role matrix over HTTP with real tokens (issue 21, "Who"): no token is 401 on
 * every path under /console/api/, unknown ones included; a customer's token is 403; a viewer
 * reads but never acts (403); an operator acts.
 */
describe('console role matrix: none, customer, viewer, operator', () => {
  let app: TestService;
  let as: ConsoleCallers;

  beforeAll(async () => {
    app = await startTestService(jwtSettings());
    as = await consoleCallers();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const call = (method: string, path: string, headers: Record<string, string>) =>
    consoleFetch(app.adminUrl, path, headers, {
      method,
      ...(method === 'POST' && { body: { reason: 'role matrix', note: 'role matrix' } }),
    });

  test.each([...READS, ...ACTIONS, ...UNKNOWN])(
    'when %s /console/api/%s comes without a token, then 401 with a Bearer challenge',
    async (method, path) => {
      const response = await call(method, path, as.none);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    },
  );

  test.each([...READS, ...ACTIONS, ...UNKNOWN])(
    "when %s /console/api/%s comes with a customer's token, then 403",
    async (method, path) => {
      expect((await call(method, path, as.customer)).status).toBe(403);
    },
  );

  test.each(READS)(
    'when a viewer reads %s /console/api/%s, then it is let through',
    async (m, p) => {
      expect([200, 404]).toContain((await call(m, p, as.viewer)).status);
    },
  );

  test.each(ACTIONS)('when a viewer tries %s /console/api/%s, then 403', async (m, p) => {
    expect((await call(m, p, as.viewer)).status).toBe(403);
  });

  test.each(ACTIONS)(
    'when an operator does %s /console/api/%s, then the role lets it through',
    async (method, path) => {
      // 200 (a mark on a group key), 404 (no such record) or 409 (nothing to confirm): not 401/403.
      expect([200, 404, 409]).toContain((await call(method, path, as.operator)).status);
    },
  );

  test('when an operator marks and unmarks, then it is done and audited under the token subject', async () => {
    // A group of its own: the role tests above mark and unmark GROUP in any order.
    const group = 'fedcba9876543210';
    expect((await call('POST', `failures/groups/${group}/mark`, as.operator)).status).toBe(200);
    expect((await call('POST', `failures/groups/${group}/unmark`, as.operator)).status).toBe(200);
    const { rows } = await app.sql.query(
      `SELECT actor, role, via, action FROM operator_audit WHERE target = $1 ORDER BY id`,
      [`dlq-group:${group}`],
    );
    const audited = { actor: 'ops-9', role: 'operator', via: 'console' };
    expect(rows).toEqual([
      { ...audited, action: 'mark' },
      { ...audited, action: 'unmark' },
    ]);
  });

  test('when the token comes in a cookie, with a wrong signature, or expired, then 401', async () => {
    const viewerToken = (as.viewer.authorization ?? '').slice('Bearer '.length);
    const forged = await mintToken('viewer-3', { roles: ['operator'], secret: 'x'.repeat(32) });
    const expired = await mintToken('viewer-3', { roles: ['viewer'], expiresIn: -120 });
    expect((await call('GET', 'session', { cookie: `token=${viewerToken}` })).status).toBe(401);
    expect((await call('GET', 'session', { authorization: `Bearer ${forged}` })).status).toBe(401);
    expect((await call('GET', 'session', { authorization: `Bearer ${expired}` })).status).toBe(401);
  });

  test('when the static pages are asked for without a token, then they are served (the sign-in page), never the API', async () => {
    expect((await fetch(`${app.adminUrl}/console/`)).status).toBe(200);
    expect((await fetch(`${app.adminUrl}/console/pages/overview.js`)).status).toBe(200);
  });
});
