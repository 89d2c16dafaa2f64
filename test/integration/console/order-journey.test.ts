import { bearer, customerToken, jwtSettings } from '../../support/auth-tokens';
import { consoleCallers, consoleFetch, type ConsoleCallers } from '../../support/console-client';
import { placeConfirmedOrder } from '../../support/console-orders';
import {
  aValidOrder,
  postOrder,
  readJson,
  startTestService,
  type TestService,
} from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/**
 * The console's order search and journey, on the real service (Postgres, broker, registry): an
 * order placed through the API and moved by real replies, then looked up from the console.
 */
describe('the console order journey', () => {
  let service: TestService;
  let peers: PeerEvents;
  let callers: ConsoleCallers;
  let orderId: string;
  let replyEventId: string;

  beforeAll(async () => {
    service = await startTestService({
      ...jwtSettings(),
      CONSOLE_DATABASE_POOL_SIZE: '2',
      CONSOLE_TRACE_URL_TEMPLATE: 'https://jaeger.example/trace/{traceId}',
    });
    callers = await consoleCallers();
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = service.config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    const order = await placeConfirmedOrder(service, peers);
    orderId = order.orderId;
    replyEventId = order.paymentEventId;
  });
  afterAll(async () => {
    await peers?.stop();
    await service?.stop();
  });

  const journey = async (id = orderId, caller = callers.viewer) =>
    consoleFetch(service.adminUrl, `orders/${id}/journey`, caller);
  const search = async (q: string, caller = callers.viewer) =>
    consoleFetch(service.adminUrl, `orders/search?q=${encodeURIComponent(q)}`, caller);

  test('when searched by any of its keys, then the order is found and the key that matched is named', async () => {
    const { rows } = await service.sql.query(
      'SELECT event_id::text FROM outbox WHERE order_id = $1 ORDER BY id LIMIT 1',
      [orderId],
    );
    const keys: [string, string][] = [
      [orderId, 'order id'],
      ['customer-42', 'customer id'],
      [replyEventId, 'event id'],
      [rows[0].event_id, 'event id'],
      ['pay-journey-1', 'payment id'],
      ['res-journey-1', 'reservation id'],
    ];
    for (const [key, matched] of keys) {
      const body = await readJson(await search(key));
      expect(body.orders).toEqual([
        expect.objectContaining({ orderId, customerId: 'customer-42', status: 'CONFIRMED' }),
      ]);
      expect(body.orders[0].matchedBy).toContain(matched);
    }
    expect((await readJson(await search('no-such-key'))).orders).toEqual([]);
  });

  test('when the journey is opened, then every transition, event owed, reply, deadline and operator action is on one timeline', async () => {
    await service.sql.query(
      `INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
       VALUES ('ops-9', 'operator', 'console', 'mark', $1, 'looking into it', 'done')`,
      [`order:${orderId}`],
    );
    const body = await readJson(await journey());
    const timeline: Record<string, unknown>[] = body.timeline;
    const of = (kind: string) => timeline.filter((e) => e.kind === kind);

    expect(body.order).toEqual(
      expect.objectContaining({ id: orderId, status: 'CONFIRMED', paymentId: 'pay-journey-1' }),
    );
    expect(of('transition').map((e) => [e.from, e.to, e.trigger])).toEqual([
      ['NEW', 'PENDING', 'place_order'],
      ['PENDING', 'INVENTORY_RESERVING', 'payment_successful'],
      ['INVENTORY_RESERVING', 'CONFIRMED', 'inventory_reserved'],
    ]);
    expect(of('transition')[1]).toEqual(expect.objectContaining({ causingEventId: replyEventId }));
    expect(of('event-owed').map((e) => String(e.topic).split('.').pop())).toEqual([
      'process_payment_request',
      'reserve_inventory_request',
      'order_confirmed',
    ]);
    expect(of('event-owed').every((e) => e.publishedAt !== null)).toBe(true);
    expect(of('reply-consumed').map((e) => [String(e.topic).split('.').pop(), e.outcome])).toEqual([
      ['payment_successful', 'applied'],
      ['inventory_reserved', 'applied'],
    ]);
    expect(
      of('effect')
        .map((e) => e.reference)
        .sort(),
    ).toEqual(['pay-journey-1', 'res-journey-1']);
    expect(of('deadline-armed').map((e) => e.step)).toEqual(['payment', 'inventory']);
    expect(of('operator-action')).toContainEqual(
      expect.objectContaining({ actor: 'ops-9', action: 'mark', reason: 'looking into it' }),
    );
    const times = timeline.map((e) => Date.parse(String(e.at)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test('when the journey is opened, then the diagram marks the current state, the states passed and nothing left for a confirmed order', async () => {
    const { diagram } = await readJson(await journey());
    expect(diagram.current).toBe('CONFIRMED');
    expect(diagram.visited).toEqual(['NEW', 'PENDING', 'INVENTORY_RESERVING', 'CONFIRMED']);
    expect(diagram.remaining).toEqual(
      expect.objectContaining({ next: [], reachable: [], toConfirmed: ['CONFIRMED'] }),
    );
    expect(diagram.nodes.map((n: { state: string }) => n.state)).toContain('COMPENSATING');
  });

  test('when an order waits for its payment, then the journey shows the deadline armed with its due time and the steps left to CONFIRMED', async () => {
    // Another customer, so the searches by customer id above keep finding one order.
    const customer = bearer(await customerToken('customer-43'));
    const pending = await readJson(
      await postOrder(service.url, aValidOrder({ customerId: 'customer-43' }), customer),
    );
    const body = await readJson(await journey(pending.id));
    expect(body.order.status).toBe('PENDING');
    expect(body.timeline.filter((e: { kind: string }) => e.kind === 'deadline-armed')).toEqual([
      expect.objectContaining({ step: 'payment', dueAt: body.order.stepDeadlineAt }),
    ]);
    expect(body.order.stepDeadlineAt).not.toBeNull();
    expect(body.diagram.remaining.toConfirmed).toEqual([
      'PENDING',
      'INVENTORY_RESERVING',
      'CONFIRMED',
    ]);
    expect(body.diagram.remaining.next.map((e: { to: string }) => e.to).sort()).toEqual([
      'CANCELLED',
      'FAILED',
      'INVENTORY_RESERVING',
    ]);
  });

  test('when the order has a dead letter, then it is on the timeline with its group, found by its event id, and actions on it are listed', async () => {
    const deadEventId = 'dead-event-journey-1';
    await service.sql.query(
      `INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, original_topic, order_id,
                                 event_id, error_class, error_message, error_pattern, group_key,
                                 dead_lettered_at, indexed_by, value_bytes, headers)
       VALUES ('t.payment_successful_dlq', 0, 41, 't.payment_successful', $1, $2, 'invalid-record',
               'amount is negative', 'amount is negative', '0123456789abcdef', now(), 'writer', 10,
               '{}')`,
      [orderId, deadEventId],
    );
    await service.sql.query(
      `INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
       VALUES ('ops-9', 'operator', 'console', 'skip', 'dlq:t.payment_successful_dlq/0/41',
               'peer resent it', 'done')`,
    );
    const body = await readJson(await journey());
    expect(body.timeline.filter((e: { kind: string }) => e.kind === 'dead-letter')).toEqual([
      expect.objectContaining({
        sourceTopic: 't.payment_successful',
        offset: '41',
        errorClass: 'invalid-record',
        groupKey: '0123456789abcdef',
        handled: null,
      }),
    ]);
    expect(
      body.timeline
        .filter((e: { kind: string }) => e.kind === 'operator-action')
        .map((e: { action: string }) => e.action),
    ).toContain('skip');
    const found = await readJson(await search(deadEventId));
    expect(found.orders.map((o: { orderId: string }) => o.orderId)).toEqual([orderId]);
  });

  test('when a trace URL template is configured and the order carries trace context, then the journey links its trace', async () => {
    expect((await readJson(await journey())).traceUrl).toBeNull();
    await service.sql.query(`UPDATE outbox SET traceparent = $2 WHERE order_id = $1`, [
      orderId,
      `00-${TRACE_ID}-00f067aa0ba902b7-01`,
    ]);
    expect((await readJson(await journey())).traceUrl).toBe(
      `https://jaeger.example/trace/${TRACE_ID}`,
    );
  });

  test('when asked without a token, with a customer token, as a viewer and as an operator, then 401, 403, 200, 200', async () => {
    const ownOrderCustomer = bearer(await customerToken('customer-42'));
    for (const call of [
      journey,
      (_id?: string, c?: Record<string, string>) => search(orderId, c),
    ]) {
      expect((await call(orderId, callers.none)).status).toBe(401);
      expect((await call(orderId, callers.customer)).status).toBe(403);
      // Not even the order's own customer: the console is for operators only.
      expect((await call(orderId, ownOrderCustomer)).status).toBe(403);
      expect((await call(orderId, callers.viewer)).status).toBe(200);
      expect((await call(orderId, callers.operator)).status).toBe(200);
    }
  });

  test('when an operator cancels a waiting order from the console with a reason, then it is CANCELLED, audited as the console, and no longer offered; a confirmed one is refused', async () => {
    const customer = bearer(await customerToken('customer-44'));
    const pending = await readJson(
      await postOrder(service.url, aValidOrder({ customerId: 'customer-44' }), customer),
    );
    const cancel = (id: string, body: unknown, caller = callers.operator) =>
      consoleFetch(service.adminUrl, `orders/${id}/cancel`, caller, { method: 'POST', body });
    expect((await readJson(await journey(pending.id))).cancellable).toBe(true);
    expect((await cancel(pending.id, {})).status).toBe(400);
    expect((await cancel(pending.id, { reason: 'x' }, callers.viewer)).status).toBe(403);

    const cancelled = await cancel(pending.id, { reason: 'customer phoned: ticket 77' });

    expect(cancelled.status).toBe(200);
    expect((await readJson(cancelled)).order).toMatchObject({
      id: pending.id,
      status: 'CANCELLED',
    });
    const after = await readJson(await journey(pending.id));
    expect(after.cancellable).toBe(false);
    expect(after.diagram.current).toBe('CANCELLED');
    const { rows } = await service.sql.query(
      `SELECT actor, role, via, action, reason, result FROM operator_audit WHERE target = $1`,
      [`order:${pending.id}`],
    );
    expect(rows).toEqual([
      {
        actor: 'ops-9',
        role: 'operator',
        via: 'console',
        action: 'cancel',
        reason: 'customer phoned: ticket 77',
        result: 'done',
      },
    ]);
    const { rows: owed } = await service.sql.query(
      `SELECT topic FROM outbox WHERE order_id = $1 ORDER BY id`,
      [pending.id],
    );
    expect(owed.map((row) => row.topic)).toContain('order_cancelled');

    const refused = await cancel(orderId, { reason: 'too late' });
    expect(refused.status).toBe(409);
    expect((await readJson(await journey(orderId))).cancellable).toBe(false);
    expect((await cancel('not-a-uuid', { reason: 'x' })).status).toBe(400);
  });

  test('when the order does not exist or the search has no key, then 404 and 400 problems', async () => {
    const unknown = await journey('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await journey('not-a-uuid')).status).toBe(404);
    expect((await search('')).status).toBe(400);
    expect((await search('x'.repeat(201))).status).toBe(400);
  });
});
