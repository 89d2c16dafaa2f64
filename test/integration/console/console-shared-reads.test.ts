/* eslint-disable @typescript-eslint/no-explicit-any -- loosely typed JSON answers, as readJson returns */
import { randomUUID } from 'node:crypto';
import { jwtSettings } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { insertPendingOrder } from '../../support/console-orders';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';

/**
 * Heavy console use costs the database a bounded amount: the overview's figures are computed at
 * most once per CONSOLE_SUMMARY_MAX_AGE_SECONDS and shared, saying how old they are; an
 * operator's action refreshes them at once.
 */
describe('console shared reads: the overview computed once per max age, whoever looks', () => {
  let app: TestService;
  let as: ConsoleCallers;

  beforeAll(async () => {
    app = await startTestService({ ...jwtSettings(), CONSOLE_SUMMARY_MAX_AGE_SECONDS: '300' });
    as = await consoleCallers();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const overview = async (caller: Record<string, string>) =>
    readJson(await consoleFetch(app.adminUrl, 'overview', caller));
  const pendingOf = (body: any) =>
    body.ordersByStatus.find((s: any) => s.status === 'PENDING')?.orders ?? 0;

  test('when a second operator looks within the max age, then both see the same figures and their age; after an action they are fresh', async () => {
    const first = await overview(as.viewer);
    await insertPendingOrder(app.sql, randomUUID(), 100);

    const second = await overview(as.operator);

    expect(second.generatedAt).toBe(first.generatedAt);
    expect(pendingOf(second)).toBe(pendingOf(first));
    const mark = await consoleFetch(
      app.adminUrl,
      'failures/groups/0123456789abcdef/mark',
      as.operator,
      {
        method: 'POST',
        body: { note: 'looking' },
      },
    );
    expect(mark.status).toBe(200);
    const afterAction = await overview(as.viewer);
    expect(pendingOf(afterAction)).toBe(pendingOf(first) + 1);
    expect(Date.parse(afterAction.generatedAt)).toBeGreaterThan(Date.parse(first.generatedAt));
  });
});
