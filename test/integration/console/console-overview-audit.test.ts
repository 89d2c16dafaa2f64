/* eslint-disable @typescript-eslint/no-explicit-any -- loosely typed JSON answers, as readJson returns */
import { randomUUID } from 'node:crypto';
import { jwtSettings } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { insertPendingOrder } from '../../support/console-orders';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';

/** The overview's figures and the audit page's filters, against a real service and database. */
describe('console overview and audit', () => {
  let app: TestService;
  let as: ConsoleCallers;

  beforeAll(async () => {
    app = await startTestService({
      ...jwtSettings(),
      CONSOLE_STUCK_AFTER_SECONDS: '600',
      // Each test reads the figures right after changing them: no shared answers.
      CONSOLE_SUMMARY_MAX_AGE_SECONDS: '0',
    });
    as = await consoleCallers();
  });
  afterAll(async () => {
    await app?.stop();
  });

  const get = async (path: string) => {
    const response = await consoleFetch(app.adminUrl, path, as.viewer);
    return { status: response.status, body: await readJson(response) };
  };

  test('when orders are past their step deadline or older than CONSOLE_STUCK_AFTER_SECONDS, then the overview counts and lists them as stuck, each linking to its journey', async () => {
    const [pastDeadline, old, fresh, done] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    for (const id of [pastDeadline, old, fresh, done]) await insertPendingOrder(app.sql, id, 100);
    await app.sql.query(
      `UPDATE orders SET step_deadline_at = now() - interval '1 minute' WHERE id = $1`,
      [pastDeadline],
    );
    await app.sql.query(
      `UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = ANY($1::uuid[])`,
      [[old, done]],
    );
    await app.sql.query(`UPDATE orders SET status = 'CONFIRMED' WHERE id = $1`, [done]);

    const { status, body } = await get('overview');

    expect(status).toBe(200);
    expect(body.stuckSagas.count).toBe(2);
    expect(body.stuckSagas.oldest.map((o: any) => [o.id, o.why, o.link])).toEqual([
      [old, 'age', `#/orders/${old}`],
      [pastDeadline, 'deadline', `#/orders/${pastDeadline}`],
    ]);
    expect(body.ordersByStatus).toEqual(
      expect.arrayContaining([
        { status: 'PENDING', orders: 3, link: '#/orders?status=PENDING' },
        { status: 'CONFIRMED', orders: 1, link: '#/orders?status=CONFIRMED' },
      ]),
    );
    const lastDay = body.ordersPerHour.reduce((sum: number, h: any) => sum + h.orders, 0);
    expect(lastDay).toBe(4);
    expect(body.breakers).toEqual({ kafkaProducer: 'closed', deadLetterProducer: 'closed' });
    expect(body.consumer.state).toBe('running');
    expect(body).toHaveProperty('relaySlotsHeld.count');
    expect(body.deadLettersPending).toEqual([]);
  });

  test('when an outbox row is unpublished, then the overview names the oldest with its age', async () => {
    await app.sql.query(
      `INSERT INTO outbox (id, event_id, order_id, topic, key, payload, created_at, published_at)
       VALUES (0, $1, $2::uuid, 'order_created', $2::text, '{}', now() - interval '90 seconds', NULL)`,
      [randomUUID(), randomUUID()],
    );
    const { body } = await get('overview');
    expect(body.oldestUnpublishedOutbox).toMatchObject({ topic: 'order_created' });
    expect(body.oldestUnpublishedOutbox.ageSeconds).toBeGreaterThanOrEqual(60);
  });

  test('when the audit is browsed with filters, then only matching rows come back, newest first, a page at a time', async () => {
    await app.sql.query(
      `INSERT INTO operator_audit (actor, role, via, action, target, reason, result, at) VALUES
       ('ann', 'operator', 'console', 'replay', 'dlq:t_dlq/0/1', 'r1', 'done', now() - interval '2 hours'),
       ('ann', 'operator', 'console', 'skip', 'dlq:t_dlq/0/2', 'r2', 'done', now() - interval '1 hour'),
       ('bob', 'operator', 'cli', 'replay', 'dlq:u_dlq/0/3', 'r3', 'done', now()),
       ('bob', 'viewer', 'console', 'reveal', 'dlq:t_dlq/0/1', 'r4', 'done', now())`,
    );

    expect((await get('audit?actor=ann')).body.rows.map((r: any) => r.reason)).toEqual([
      'r2',
      'r1',
    ]);
    expect((await get('audit?action=replay')).body.rows.map((r: any) => r.reason)).toEqual([
      'r3',
      'r1',
    ]);
    expect((await get('audit?target=dlq:t_dlq/')).body.rows.map((r: any) => r.reason)).toEqual([
      'r4',
      'r2',
      'r1',
    ]);
    const since = new Date(Date.now() - 90 * 60_000).toISOString();
    expect(
      (await get(`audit?from=${encodeURIComponent(since)}`)).body.rows.map((r: any) => r.reason),
    ).toEqual(['r4', 'r3', 'r2']);
    const first = await get('audit?limit=2');
    expect(first.body.rows.map((r: any) => r.reason)).toEqual(['r4', 'r3']);
    const second = await get(`audit?limit=2&${first.body.next}`);
    expect(second.body.rows.map((r: any) => r.reason)).toEqual(['r2', 'r1']);
    expect((await get('audit?action=delete')).status).toBe(400);
  });
});
