import { jwtSettings } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';

/** The console's shell: served on the admin port, under a strict CSP, its API behind tokens. */
describe('the console shell on the admin port', () => {
  let service: TestService;
  let callers: ConsoleCallers;

  beforeAll(async () => {
    service = await startTestService({
      ...jwtSettings(),
      CONSOLE_DATABASE_POOL_SIZE: '2',
      CONSOLE_MAX_CONCURRENT_REQUESTS: '1',
      // Every overview reads the database, so the burst below really queues.
      CONSOLE_SUMMARY_MAX_AGE_SECONDS: '0',
    });
    callers = await consoleCallers();
  });
  afterAll(async () => {
    await service?.stop();
  });

  test('when /console/ is opened without a token, then the sign-in page and its script are served under a strict CSP', async () => {
    const page = await fetch(`${service.adminUrl}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="sign-in"');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const script = await fetch(`${service.adminUrl}/console/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  test('when the session is asked for, then a viewer and an operator learn their role, a customer is refused and no token is 401', async () => {
    expect(await readJson(await consoleFetch(service.adminUrl, 'session', callers.viewer))).toEqual(
      { subject: 'viewer-3', role: 'viewer' },
    );
    expect(
      await readJson(await consoleFetch(service.adminUrl, 'session', callers.operator)),
    ).toEqual({ subject: 'ops-9', role: 'operator' });
    expect((await consoleFetch(service.adminUrl, 'session', callers.customer)).status).toBe(403);
    const anonymous = await consoleFetch(service.adminUrl, 'session', callers.none);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/problem\+json/);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  test('when operators send far more requests at once than the console serves, then the excess is turned away with 503 console-busy and the rest are answered', async () => {
    // One served at a time and 50 waiting: a burst of 150 cannot all be taken in.
    const answers = await Promise.all(
      Array.from({ length: 150 }, () => consoleFetch(service.adminUrl, 'overview', callers.viewer)),
    );
    const busy = answers.filter((answer) => answer.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(51);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 503)).toBe(true);
    const problem = (await readJson(busy[0] as Response)) as { type: string };
    expect(problem.type).toBe('/problems/console-busy');
    expect(busy[0]?.headers.get('retry-after')).toMatch(/^\d+$/);
    // Once the burst is over, the console answers again.
    expect((await consoleFetch(service.adminUrl, 'overview', callers.viewer)).status).toBe(200);
  }, 60_000);
});
