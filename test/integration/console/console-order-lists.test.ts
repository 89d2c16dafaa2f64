/* eslint-disable @typescript-eslint/no-explicit-any -- loosely typed JSON answers, as readJson returns */
import { randomUUID } from 'node:crypto';
import { jwtSettings } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { insertPendingOrder } from '../../support/console-orders';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';

/**
 * The lists behind the overview's figures (issue 21, item 3: "each figure links to the list
 * behind it"): the orders of one status a page at a time, the stuck sagas, and the order that
 * owes the oldest unpublished outbox row.
 */
describe('console order lists: what each overview figure links to', () => {
  let app: TestService;
  let as: ConsoleCallers;
  const pending: string[] = [];
  const old: string[] = [];

  beforeAll(async () => {
    app = await startTestService({
      ...jwtSettings(),
      CONSOLE_STUCK_AFTER_SECONDS: '600',
      CONSOLE_SUMMARY_MAX_AGE_SECONDS: '0',
    });
    as = await consoleCallers();
    // 55 PENDING orders a second apart (newest first: pending[0]), three of them two hours old.
    for (let i = 0; i < 55; i++) {
      const id = randomUUID();
      await insertPendingOrder(app.sql, id, 100 + i);
      const age = i >= 52 ? `${2 * 3600 + i} seconds` : `${i} seconds`;
      await app.sql.query(`UPDATE orders SET created_at = now() - $2::interval WHERE id = $1`, [
        id,
        age,
      ]);
      pending.push(id);
      if (i >= 52) old.push(id);
    }
  });
  afterAll(async () => {
    await app?.stop();
  });

  const get = async (path: string) => {
    const response = await consoleFetch(app.adminUrl, path, as.viewer);
    return { status: response.status, body: await readJson(response) };
  };
  /** A console hash route (`#/orders?…`) as the API call its page makes. */
  const apiOf = (link: string) => link.replace(/^#\//, '');

  test('when the PENDING figure is followed, then its orders come newest first, 50 a page, each page after the last, all of them once', async () => {
    const overview = (await get('overview')).body;
    const figure = overview.ordersByStatus.find((s: any) => s.status === 'PENDING');
    expect(figure.orders).toBe(55);

    const first = await get(apiOf(figure.link));
    expect(first.status).toBe(200);
    expect(first.body.orders).toHaveLength(50);
    expect(first.body.orders.map((o: any) => o.orderId)).toEqual(pending.slice(0, 50));
    expect(first.body.next).toEqual(expect.stringContaining('after='));

    const second = await get(`orders?${first.body.next}`);
    expect(second.body.orders.map((o: any) => o.orderId)).toEqual(pending.slice(50));
    expect(second.body.next).toBeNull();
  });

  test('when the stuck figure is followed, then the orders open longer than the setting are listed, oldest first', async () => {
    const overview = (await get('overview')).body;
    expect(overview.stuckSagas.link).toBe('#/orders?stuck=1');

    const { status, body } = await get(apiOf(overview.stuckSagas.link));

    expect(status).toBe(200);
    expect(body.count).toBe(3);
    expect(body.orders.map((o: any) => o.orderId)).toEqual([...old].reverse());
    expect(body.orders[0]).toMatchObject({ status: 'PENDING', why: 'age' });
    expect(body.next).toBeNull();
  });

  test('when an outbox row waits unpublished, then the figure links to the journey of the order that owes it', async () => {
    const orderId = pending[0];
    await app.sql.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload, created_at, published_at)
       VALUES ($1, $2::uuid, 'order_created', $2::text, '{}', now() - interval '10 days', NULL)`,
      [randomUUID(), orderId],
    );
    const overview = (await get('overview')).body;
    expect(overview.oldestUnpublishedOutbox.link).toBe(`#/orders/${orderId}`);
  });

  test('when a list is asked for without a known status, or with a forged cursor, then 400', async () => {
    expect((await get('orders')).status).toBe(400);
    expect((await get('orders?status=SHIPPED')).status).toBe(400);
    expect((await get('orders?status=PENDING&after=x')).status).toBe(400);
    // The cursor's own encoding around what Postgres cannot cast (a 99th month, a UUID of dashes).
    const forged = Buffer.from(
      JSON.stringify(['2026-99-99T99:99:99.999Z', '-'.repeat(36)]),
    ).toString('base64url');
    expect((await get(`orders?status=PENDING&after=${encodeURIComponent(forged)}`)).status).toBe(
      400,
    );
    expect((await get('orders?stuck=1&offset=-1')).status).toBe(400);
    expect((await consoleFetch(app.adminUrl, 'orders?status=PENDING', as.customer)).status).toBe(
      403,
    );
  });
});
