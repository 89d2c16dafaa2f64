import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService();

describe('reading orders', () => {
  async function place(customerId: string) {
    return readJson(await postOrder(app.url, aValidOrder({ customerId })));
  }

  test('when an order is fetched by id, then it comes with items and status history', async () => {
    const placed = await place('reader-1');

    const response = await fetch(`${app.url}/api/v1/orders/${placed.id}`);

    expect(response.status).toBe(200);
    const order = await readJson(response);
    expect(order).toMatchObject({
      id: placed.id,
      status: 'PENDING',
      totalAmount: placed.totalAmount,
    });
    expect(order.items).toHaveLength(2);
    // The read shows exactly what intake answered (items in order, money, timestamps), plus history.
    const { history, ...withoutHistory } = order;
    expect(withoutHistory).toEqual(placed);
    expect(history).toEqual([
      {
        from: null,
        to: 'PENDING',
        reason: 'order placed',
        causingEventId: null,
        at: placed.createdAt,
      },
    ]);
  });

  test('when the id is unknown, then 404', async () => {
    const response = await fetch(`${app.url}/api/v1/orders/00000000-0000-4000-8000-000000000000`);
    expect(response.status).toBe(404);
    expect(await readJson(response)).toMatchObject({ type: '/problems/not-found' });
  });

  test('when the id is malformed, then 400', async () => {
    const response = await fetch(`${app.url}/api/v1/orders/not-a-uuid`);
    expect(response.status).toBe(400);
    expect(await readJson(response)).toMatchObject({ type: '/problems/validation' });
  });

  test('when a customer lists orders page by page, then every order appears once, newest first', async () => {
    const placed = [];
    for (let i = 0; i < 5; i++) placed.push((await place('pager')).id);
    await place('someone-else');

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query = new URLSearchParams({
        customerId: 'pager',
        limit: '2',
        ...(cursor && { cursor }),
      });
      const response = await fetch(`${app.url}/api/v1/orders?${query}`);
      expect(response.status).toBe(200);
      const page = await readJson(response);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((order: { id: string }) => order.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);

    expect(pages).toBe(3);
    expect(seen).toEqual(placed.reverse());
  });

  test('when orders are placed between pages, then no order is seen twice and none that existed at the start is skipped', async () => {
    const existing: string[] = [];
    for (let i = 0; i < 5; i++) existing.push((await place('pager-while-placing')).id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({
        customerId: 'pager-while-placing',
        limit: '2',
        ...(cursor && { cursor }),
      });
      const page = await readJson(await fetch(`${app.url}/api/v1/orders?${query}`));
      seen.push(...page.items.map((order: { id: string }) => order.id));
      cursor = page.nextCursor;
      // A newer order lands ahead of the cursor: an offset would shift and repeat one.
      await place('pager-while-placing');
    } while (cursor !== null);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => existing.includes(id))).toEqual([...existing].reverse());
  });

  test('when listing by status, then only orders in that status come back', async () => {
    await place('status-filter');
    const pending = await readJson(
      await fetch(`${app.url}/api/v1/orders?customerId=status-filter&status=PENDING`),
    );
    const confirmed = await readJson(
      await fetch(`${app.url}/api/v1/orders?customerId=status-filter&status=CONFIRMED`),
    );
    expect(pending.items).toHaveLength(1);
    expect(pending.nextCursor).toBeNull();
    expect(confirmed).toEqual({ items: [], nextCursor: null });
  });

  test.each([
    ['limit=101', 'limit'],
    ['limit=0', 'limit'],
    ['status=SHIPPED', 'status'],
    ['cursor=garbage', 'cursor'],
    ['colour=red', '(root)'],
  ])('when the list query has %s, then 400 naming %s', async (query, field) => {
    const response = await fetch(`${app.url}/api/v1/orders?${query}`);
    expect(response.status).toBe(400);
    const problem = await readJson(response);
    expect(problem.errors.map((error: { path: string }) => error.path)).toContain(field);
  });
});
