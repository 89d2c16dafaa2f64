import { aValidOrder, postOrder, readJson } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService();

describe('saga over the broker: payment then inventory confirms the order', () => {
  let peers: PeerEvents;
  let reader: TopicReader;
  beforeAll(async () => {
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    reader = await readTopics(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, [
      `${KAFKA_TOPIC_PREFIX}reserve_inventory_request`,
      `${KAFKA_TOPIC_PREFIX}order_confirmed`,
    ]);
  });
  afterAll(async () => {
    await reader.stop();
    await peers.stop();
  });

  async function statusOf(orderId: string): Promise<string> {
    return (await readJson(await fetch(`${app.url}/api/v1/orders/${orderId}`))).status;
  }

  test('when payment succeeds and inventory is reserved, then the order is CONFIRMED and order_confirmed is emitted', async () => {
    const order = await readJson(await postOrder(app.url, aValidOrder()));

    await peers.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-1',
      amount: order.totalAmount,
    });
    await waitFor(async () => (await statusOf(order.id)) === 'INVENTORY_RESERVING', {
      message: 'not reserving',
    });
    await peers.send('inventory_reserved', { orderId: order.id, reservationId: 'res-1' });
    await waitFor(async () => (await statusOf(order.id)) === 'CONFIRMED', {
      message: 'not confirmed',
    });

    const records = await reader.waitForCount(2);
    expect(records.map((r) => r.topic.split('.').pop())).toEqual([
      'reserve_inventory_request',
      'order_confirmed',
    ]);
    expect(records.every((r) => r.key === order.id)).toBe(true);
    const detail = await readJson(await fetch(`${app.url}/api/v1/orders/${order.id}`));
    expect(detail.history.map((h: { to: string }) => h.to)).toEqual([
      'PENDING',
      'INVENTORY_RESERVING',
      'CONFIRMED',
    ]);
  });
});
