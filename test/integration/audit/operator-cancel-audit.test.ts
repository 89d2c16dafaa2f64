import type { RunningService } from '../../../src/application';
import { bearer, customerToken, jwtSettings, operatorToken } from '../../support/auth-tokens';
import { capturingLogger } from '../../support/capturing-logger';
import {
  aValidOrder,
  jsonHeaders,
  postOrder,
  readJson,
  startJoinedOrderService,
  testConfig,
} from '../../support/order-service-harness';
import { waitFor } from '../../support/wait-for';
import { freshDatabase } from '../../support/fixtures/fresh-database';

const database = freshDatabase();

/**
 * An operator's cancel through the API is audited with the token's subject and the reason, in
 * the cancel's own transaction; a refused attempt is audited too; a customer's own cancel is not
 * an operator action. The request log line names the caller's subject and role.
 */
describe("the API's operator cancel: audited and logged with its subject", () => {
  let service: RunningService;
  const { logger, entries } = capturingLogger('http');
  let customer: Record<string, string>;
  let operator: Record<string, string>;

  beforeAll(async () => {
    service = await startJoinedOrderService(
      testConfig({ DATABASE_URL: database.url, ...jwtSettings() }),
      logger,
    );
    customer = bearer(await customerToken('carol'));
    operator = bearer(await operatorToken('ops-7'));
  });
  afterAll(async () => {
    await service?.stop();
  });

  const placeOrder = async () =>
    (
      await readJson(
        await postOrder(service.http.url, aValidOrder({ customerId: undefined }), customer),
      )
    ).id as string;
  const cancel = (id: string, headers: Record<string, string>, body: unknown = {}) =>
    fetch(`${service.http.url}/api/v1/orders/${id}/cancel`, {
      method: 'POST',
      headers: { ...jsonHeaders, ...headers },
      body: JSON.stringify(body),
    });
  const auditOf = async (id: string) =>
    (
      await database.sql.query(
        `SELECT actor, role, via, action, reason, result FROM operator_audit
         WHERE target = $1 ORDER BY id`,
        [`order:${id}`],
      )
    ).rows;

  test('when an operator cancels, then one audit row names the subject and reason; a second, refused attempt is audited as refused', async () => {
    const id = await placeOrder();

    expect((await cancel(id, operator, { reason: 'customer called support' })).status).toBe(200);
    expect((await cancel(id, operator, { reason: 'again' })).status).toBe(409);

    expect(await auditOf(id)).toEqual([
      {
        actor: 'ops-7',
        role: 'operator',
        via: 'api',
        action: 'cancel',
        reason: 'customer called support',
        result: 'done',
      },
      {
        actor: 'ops-7',
        role: 'operator',
        via: 'api',
        action: 'cancel',
        reason: 'again',
        result: 'refused: The order is CANCELLED and can no longer be cancelled',
      },
    ]);
  });

  test('when a customer cancels its own order, then nothing is audited as an operator action', async () => {
    const id = await placeOrder();
    expect((await cancel(id, customer)).status).toBe(200);
    expect(await auditOf(id)).toEqual([]);
  });

  test('when a request completes, then its log line names the caller subject and role', async () => {
    const id = await placeOrder();
    await cancel(id, operator);
    const line = await waitFor(
      () =>
        entries.find(
          (entry) =>
            entry.message === 'request completed' && entry.path === `/api/v1/orders/${id}/cancel`,
        ),
      { message: 'the request log line' },
    );
    expect(line).toMatchObject({ subject: 'ops-7', role: 'operator', status: 200 });
    const placed = entries.find(
      (entry) =>
        entry.message === 'request completed' &&
        entry.orderId === id &&
        entry.method === 'POST' &&
        entry.status === 202,
    );
    expect(placed).toMatchObject({ subject: 'carol', role: 'customer' });
  });
});
