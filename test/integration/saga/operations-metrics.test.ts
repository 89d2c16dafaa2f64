import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { SAGA_TRANSITIONS } from '../../../src/domain/saga-transitions';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { scrapeMetrics, samplesOf, valueOf, type MetricSample } from '../../support/metrics-scrape';
import { postOrder } from '../../support/order-service-harness';
import { TEST_PARTITIONS } from '../../support/service-topics';
import { waitFor } from '../../support/wait-for';
import { placeOrder, runningSaga, waitForStatus } from './saga-fixture';

/** Waits until the scraped metrics satisfy `check`, and returns them. */
function waitForMetrics(
  adminUrl: string,
  check: (samples: MetricSample[]) => boolean,
  message: string,
): Promise<MetricSample[]> {
  return waitFor(
    async () => {
      const samples = await scrapeMetrics(adminUrl);
      return check(samples) ? samples : undefined;
    },
    { timeoutMs: 20_000, message },
  );
}

const realBroker = () => sharedKafkaStack().flavour === 'real';

const transition = (from: string, to: string, trigger: string) => ({ from, to, trigger });

describe('/metrics answers the on-call questions, from a real saga', () => {
  const saga = runningSaga({
    env: { METRICS_SAMPLE_INTERVAL_MS: '200', DATABASE_STATEMENT_TIMEOUT_MS: '1000' },
  });
  let adminUrl: string;
  beforeAll(async () => {
    adminUrl = saga.app.adminUrl;
  });

  test('when the API is called, then request durations are labelled by route template, method and status, never by id', async () => {
    const order = await placeOrder(saga.app.url);
    expect((await fetch(`${saga.app.url}/api/v1/orders/${order.id}`)).status).toBe(200);
    expect((await fetch(`${saga.app.url}/api/v1/orders/${randomUUID()}`)).status).toBe(404);
    // Refused inside the route: the error leaves the router before the response is written.
    expect((await postOrder(saga.app.url, { items: 'none' })).status).toBe(400);
    expect((await fetch(`${saga.app.url}/no-such-path`)).status).toBe(404);

    const samples = await scrapeMetrics(adminUrl);
    const count = (route: string, method: string, status_code: string) =>
      valueOf(samples, 'http_request_duration_seconds_count', { route, method, status_code });
    expect(count('/api/v1/orders', 'POST', '202')).toBeGreaterThanOrEqual(1);
    expect(count('/api/v1/orders', 'POST', '400')).toBeGreaterThanOrEqual(1);
    expect(count('/api/v1/orders/:id', 'GET', '200')).toBeGreaterThanOrEqual(1);
    expect(count('/api/v1/orders/:id', 'GET', '404')).toBeGreaterThanOrEqual(1);
    expect(count('unmatched', 'GET', '404')).toBeGreaterThanOrEqual(1);
    const routes = new Set(
      samplesOf(samples, 'http_request_duration_seconds_count').map((s) => s.labels.route),
    );
    for (const route of routes) expect(route).toMatch(/^(\/[a-z0-9/:-]*|unmatched)$/);
    expect(JSON.stringify(samples)).not.toContain(order.id);
  });

  test('when an order is paid, fails its reservation and is refunded, then orders, transitions, consumed events and the outbox gauges follow it', async () => {
    const before = await scrapeMetrics(adminUrl);
    const delta = (samples: MetricSample[], name: string, labels: Record<string, string> = {}) =>
      (valueOf(samples, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);

    const order = await placeOrder(saga.app.url);
    const payment = { orderId: order.id, paymentId: 'pay-1', amount: order.totalAmount };
    const paid = await saga.events.send('payment_successful', payment);
    await waitForStatus(saga.app.url, order.id, 'INVENTORY_RESERVING');
    await saga.events.send('payment_successful', paid); // the same event again
    await saga.events.send('inventory_reservation_failed', { orderId: order.id, reason: 'none' });
    await waitForStatus(saga.app.url, order.id, 'COMPENSATING');
    await waitForMetrics(
      adminUrl,
      (s) => valueOf(s, 'orders_by_status', { status: 'COMPENSATING' }) === 1,
      'orders_by_status{status="COMPENSATING"} at 1',
    );
    await saga.events.send('payment_refunded', { orderId: order.id, paymentId: 'pay-1' });
    await waitForStatus(saga.app.url, order.id, 'FAILED');
    await saga.events.sendRaw('payment_failed', order.id, Buffer.from('not avro'));

    const after = await waitForMetrics(
      adminUrl,
      (s) =>
        valueOf(s, 'orders_by_status', { status: 'COMPENSATING' }) === 0 &&
        valueOf(s, 'outbox_unpublished_rows') === 0 &&
        delta(s, 'saga_events_total', { topic: 'payment_failed', outcome: 'dead_lettered' }) ===
          1 &&
        delta(s, 'saga_events_total', { topic: 'payment_successful', outcome: 'duplicate' }) === 1,
      'COMPENSATING back to 0, the outbox drained, the duplicate and the dead letter counted',
    );
    expect(delta(after, 'orders_created_total')).toBe(1);
    for (const labels of [
      transition('NEW', 'PENDING', 'place_order'),
      transition('PENDING', 'INVENTORY_RESERVING', 'payment_successful'),
      transition('INVENTORY_RESERVING', 'COMPENSATING', 'inventory_reservation_failed'),
      transition('COMPENSATING', 'FAILED', 'payment_refunded'),
    ]) {
      expect({ ...labels, delta: delta(after, 'saga_transitions_total', labels) }).toEqual({
        ...labels,
        delta: 1,
      });
    }
    // Every row of the table has its series, at 0 until it applies; no other series exists.
    const series = samplesOf(after, 'saga_transitions_total').map(
      ({ labels }) => `${labels.from}>${labels.to}:${labels.trigger}`,
    );
    expect(new Set(series)).toEqual(
      new Set(SAGA_TRANSITIONS.map(({ from, to, trigger }) => `${from}>${to}:${trigger}`)),
    );
    expect(
      valueOf(after, 'saga_transitions_total', transition('PENDING', 'CANCELLED', 'cancel')),
    ).toBe(0);
    for (const [topic, outcome] of [
      ['payment_successful', 'applied'],
      ['inventory_reservation_failed', 'applied'],
      ['payment_refunded', 'applied'],
    ]) {
      expect({
        topic,
        outcome,
        delta: delta(after, 'saga_events_total', { topic, outcome }),
      }).toEqual({ topic, outcome, delta: 1 });
    }
    expect(valueOf(after, 'outbox_oldest_unpublished_age_seconds')).toBe(0);
    // process_payment_request, reserve_inventory_request, refund_payment_request, order_failed.
    expect(delta(after, 'outbox_publish_latency_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(delta(after, 'outbox_publish_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(delta(after, 'outbox_publish_batch_size_sum')).toBeGreaterThanOrEqual(4);
    expect(valueOf(after, 'saga_consumer_state', { state: 'running' })).toBe(1);
    expect(valueOf(after, 'saga_consumer_state', { state: 'restarting' })).toBe(0);
    expect(valueOf(after, 'kafka_producer_breaker_state', { state: 'closed' })).toBe(1);
  });

  test('when the database holds the consumer up, then the partition pauses, the lag per partition shows the waiting replies, and both recover', async () => {
    const orders = [await placeOrder(saga.app.url), await placeOrder(saga.app.url)];
    for (const order of orders) await waitForStatus(saga.app.url, order.id, 'PENDING');
    const before = await scrapeMetrics(adminUrl);
    const locker = new Client({ connectionString: saga.app.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      for (const order of orders) {
        await saga.events.send('payment_failed', { orderId: order.id, reason: 'declined' });
      }
      await waitForMetrics(
        adminUrl,
        (s) =>
          (valueOf(s, 'consumer_partition_pauses_total', { topic: 'payment_failed' }) ?? 0) >
            (valueOf(before, 'consumer_partition_pauses_total', { topic: 'payment_failed' }) ??
              0) &&
          (!realBroker() ||
            (valueOf(s, 'consumer_lag_records', { topic: 'payment_failed' }) ?? 0) >= 2),
        'a paused payment_failed partition, and its two replies as lag',
      );
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    for (const order of orders) await waitForStatus(saga.app.url, order.id, 'FAILED');
    const after = await waitForMetrics(
      adminUrl,
      (s) =>
        (valueOf(s, 'consumer_partition_resumes_total', { topic: 'payment_failed' }) ?? 0) >
          (valueOf(before, 'consumer_partition_resumes_total', { topic: 'payment_failed' }) ?? 0) &&
        (!realBroker() || valueOf(s, 'consumer_lag_records', { topic: 'payment_failed' }) === 0),
      'the partition resumed and its lag back to 0',
    );
    if (realBroker()) {
      const partitions = samplesOf(after, 'consumer_lag_records', { topic: 'payment_failed' })
        .map((sample) => Number(sample.labels.partition))
        .sort();
      expect(partitions).toEqual(Array.from({ length: TEST_PARTITIONS }, (_, index) => index));
    }
  });

  test('when an outbox row cannot be published, then the unpublished gauge and the oldest row age show it, and fall back once it is gone', async () => {
    // A topic this version has no schema for: the relay holds the row back and never sends it.
    const orderId = randomUUID();
    const { rows } = await saga.app.sql.query<{ id: string }>(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload, created_at)
       VALUES ($1, $2, 'no_such_topic', $3, '{}', now() - interval '1 hour') RETURNING id`,
      [randomUUID(), orderId, orderId],
    );
    await waitForMetrics(
      adminUrl,
      (s) =>
        valueOf(s, 'outbox_unpublished_rows') === 1 &&
        (valueOf(s, 'outbox_oldest_unpublished_age_seconds') ?? 0) >= 3_600,
      'one unpublished row, an hour old',
    );
    await saga.app.sql.query('DELETE FROM outbox WHERE id = $1', [rows[0]?.id]);
    await waitForMetrics(
      adminUrl,
      (s) =>
        valueOf(s, 'outbox_unpublished_rows') === 0 &&
        valueOf(s, 'outbox_oldest_unpublished_age_seconds') === 0,
      'no unpublished row',
    );
  });
});
