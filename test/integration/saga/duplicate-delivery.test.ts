import { CONSUMED_TOPICS } from '../../../src/messaging/topics';
import { waitFor } from '../../support/wait-for';
import {
  orderDetail,
  outboxOf,
  placeOrder,
  processedOf,
  recordsOf,
  sagaEventCounts,
  steps,
  totalWithOutcome,
  waitForRecords,
  waitForStatus,
  runningSaga,
} from './saga-fixture';

/**
 * Every consumed topic gets one of its events delivered twice (same eventId): back to back on
 * the same partition, or again after the order already moved on. Each must have one effect.
 */
describe('duplicate delivery: an event delivered twice has one effect', () => {
  const saga = runningSaga();
  const orders = { confirmed: { id: '' }, declined: { id: '' }, compensated: { id: '' } };

  beforeAll(async () => {
    const { app, events } = saga;
    const sendTwice = async (topic: (typeof CONSUMED_TOPICS)[number], fields: object) => {
      const payload = await events.send(topic, { ...fields });
      await events.send(topic, payload);
    };

    // Confirmed: each reply twice, back to back.
    orders.confirmed = await placeOrder(app.url, { customerId: 'dup-confirmed' });
    await sendTwice('payment_successful', {
      orderId: orders.confirmed.id,
      paymentId: 'pay-dup-1',
      amount: 5_048,
    });
    await waitForStatus(app.url, orders.confirmed.id, 'INVENTORY_RESERVING');
    await sendTwice('inventory_reserved', { orderId: orders.confirmed.id, reservationId: 'res-1' });
    await waitForStatus(app.url, orders.confirmed.id, 'CONFIRMED');

    // Declined: the duplicate arrives after the order is already FAILED.
    orders.declined = await placeOrder(app.url, { customerId: 'dup-declined' });
    const declined = await events.send('payment_failed', {
      orderId: orders.declined.id,
      reason: 'card declined',
    });
    await waitForStatus(app.url, orders.declined.id, 'FAILED');
    await events.send('payment_failed', declined);

    // Compensated: reservation failure and refund, each twice.
    orders.compensated = await placeOrder(app.url, { customerId: 'dup-compensated' });
    await events.send('payment_successful', {
      orderId: orders.compensated.id,
      paymentId: 'pay-dup-3',
      amount: 5_048,
    });
    await waitForStatus(app.url, orders.compensated.id, 'INVENTORY_RESERVING');
    await sendTwice('inventory_reservation_failed', {
      orderId: orders.compensated.id,
      reason: 'out of stock',
    });
    await waitForStatus(app.url, orders.compensated.id, 'COMPENSATING');
    await sendTwice('payment_refunded', { orderId: orders.compensated.id, paymentId: 'pay-dup-3' });
    await waitForStatus(app.url, orders.compensated.id, 'FAILED');

    // Every duplicate has been consumed once this holds (one per consumed topic).
    await waitFor(
      async () => totalWithOutcome(await sagaEventCounts(app.adminUrl), 'duplicate') >= 5,
      {
        timeoutMs: 20_000,
        message: 'five duplicates counted at /metrics',
      },
    );
  });

  test('when each consumed topic delivers an event twice, then /metrics counts exactly one duplicate per topic', async () => {
    const counts = await sagaEventCounts(saga.app.adminUrl);

    for (const topic of CONSUMED_TOPICS) expect(counts[`${topic}/duplicate`]).toBe(1);
    expect(totalWithOutcome(counts, 'duplicate')).toBe(5);
    expect(totalWithOutcome(counts, 'applied')).toBe(6);
    expect(totalWithOutcome(counts, 'ignored')).toBe(0);
  });

  test('when replies are duplicated, then each order has one history row per status change', async () => {
    const detail = (id: string) => orderDetail(saga.app.url, id);

    expect(steps(await detail(orders.confirmed.id))).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>CONFIRMED',
    ]);
    expect(steps(await detail(orders.declined.id))).toEqual(['>PENDING', 'PENDING>FAILED']);
    expect(steps(await detail(orders.compensated.id))).toEqual([
      '>PENDING',
      'PENDING>INVENTORY_RESERVING',
      'INVENTORY_RESERVING>COMPENSATING',
      'COMPENSATING>FAILED',
    ]);
  });

  test('when replies are duplicated, then each emitted event has exactly one outbox row', async () => {
    const topics = async (id: string) => (await outboxOf(saga.app, id)).map((row) => row.topic);

    expect(await topics(orders.confirmed.id)).toEqual([
      'process_payment_request',
      'reserve_inventory_request',
      'order_confirmed',
    ]);
    expect(await topics(orders.declined.id)).toEqual(['process_payment_request', 'order_failed']);
    expect(await topics(orders.compensated.id)).toEqual([
      'process_payment_request',
      'reserve_inventory_request',
      'refund_payment_request',
      'order_failed',
    ]);
  });

  test('when replies are duplicated, then processed_events holds each event id once, as applied', async () => {
    const processed = [
      ...(await processedOf(saga.app, orders.confirmed.id)),
      ...(await processedOf(saga.app, orders.declined.id)),
      ...(await processedOf(saga.app, orders.compensated.id)),
    ];

    expect(processed).toHaveLength(6);
    expect(new Set(processed.map((row) => row.event_id)).size).toBe(6);
    expect(processed.every((row) => row.outcome === 'applied')).toBe(true);
    expect(processed.map((row) => row.topic).sort()).toEqual(
      [
        'payment_successful',
        'inventory_reserved',
        'payment_failed',
        'payment_successful',
        'inventory_reservation_failed',
        'payment_refunded',
      ].sort(),
    );
  });

  test('when replies are duplicated, then peers see each follow-up event once on Kafka', async () => {
    await waitForRecords(saga.reader, orders.compensated.id, 'order_failed');
    await waitForRecords(saga.reader, orders.confirmed.id, 'order_confirmed');
    const distinctIds = (orderId: string, topic: string) =>
      new Set(recordsOf(saga.reader, orderId, topic).map((r) => r.value.eventId)).size;

    expect(distinctIds(orders.confirmed.id, 'reserve_inventory_request')).toBe(1);
    expect(distinctIds(orders.confirmed.id, 'order_confirmed')).toBe(1);
    expect(distinctIds(orders.compensated.id, 'refund_payment_request')).toBe(1);
    expect(distinctIds(orders.compensated.id, 'order_failed')).toBe(1);
  });
});
