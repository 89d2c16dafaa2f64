import { randomUUID } from 'node:crypto';
import { runDlqCli, type DlqCliEnv } from '../../support/dlq-cli';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readRawTopics, type RawTopicReader } from '../../support/raw-topic-reader';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService();

/**
 * The operator's loop end to end: a reply for an order the service does not know is
 * dead-lettered; once the order exists, `order-dlq replay` sends the reply again and the saga
 * moves on, exactly once however often it is replayed.
 */
describe('a dead-lettered reply, replayed once its cause is fixed', () => {
  let peers: PeerEvents;
  let raw: RawTopicReader;
  let requests: TopicReader;
  let env: DlqCliEnv;
  let source: string;

  beforeAll(async () => {
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
    source = `${KAFKA_TOPIC_PREFIX}payment_successful`;
    env = {
      DATABASE_URL: app.databaseUrl,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL,
      KAFKA_TOPIC_PREFIX,
    };
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    raw = await readRawTopics(KAFKA_BROKERS, [source, `${source}_dlq`]);
    requests = await readTopics(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, [
      `${KAFKA_TOPIC_PREFIX}reserve_inventory_request`,
    ]);
  }, 60_000);
  afterAll(async () => {
    await requests?.stop();
    await raw?.stop();
    await peers?.stop();
  });

  /** The order the payment service already knew about: placed by another instance, say. */
  async function insertOrder(id: string, totalAmount: number) {
    await app.sql.query(
      `INSERT INTO orders (id, customer_id, status, currency, total_amount, step_deadline_at)
       VALUES ($1, 'customer-7', 'PENDING', 'EUR', $2, now() + interval '1 hour')`,
      [id, totalAmount],
    );
    await app.sql.query(
      `INSERT INTO order_items
         (order_id, position, product_id, product_name, unit_price, quantity, line_total)
       VALUES ($1, 0, 'sku-9', 'Grinder', $2, 1, $2)`,
      [id, totalAmount],
    );
    await app.sql.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, reason)
       VALUES ($1, NULL, 'PENDING', 'order placed')`,
      [id],
    );
  }

  async function history(orderId: string): Promise<string[]> {
    const { rows } = await app.sql.query(
      'SELECT to_status FROM order_status_history WHERE order_id = $1 ORDER BY id',
      [orderId],
    );
    return rows.map((row) => row.to_status);
  }

  async function duplicatesSeen(): Promise<number> {
    const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('saga_events_total{') && l.includes('outcome="duplicate"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  }

  test('when the missing order exists and the record is replayed, then the saga moves on, and a second replay changes nothing', async () => {
    const orderId = randomUUID();
    const payment = await peers.send('payment_successful', {
      orderId,
      paymentId: 'pay-77',
      amount: 4_998,
    });
    const [dead] = await raw.waitFor(
      (r) => r.topic === `${source}_dlq` && r.key?.toString() === orderId,
    );
    expect(dead?.headers['dlq-error-class']).toBe('unknown-order');

    await insertOrder(orderId, 4_998);
    const replay = await runDlqCli(
      ['replay', 'payment_successful', '--order-id', orderId, '--reason', 'test'],
      env,
    );

    expect(replay).toMatchObject({ code: 0, stderr: '' });
    const [request] = await requests.waitForCount(1);
    expect(request).toMatchObject({
      key: orderId,
      value: { orderId, items: [{ productId: 'sku-9', quantity: 1 }] },
    });
    expect(await history(orderId)).toEqual(['PENDING', 'INVENTORY_RESERVING']);
    const replayed = await raw.waitFor(
      (r) => r.topic === source && r.headers['dlq-replayed-from'] !== undefined,
    );
    expect(replayed.map((r) => r.headers)).toEqual([
      expect.objectContaining({
        'event-id': payment.eventId,
        'dlq-replayed-from': `${source}_dlq/${dead?.partition}/${dead?.offset}`,
      }),
    ]);
    // Every consumed topic has its DLQ topic (the service creates them); only this one has a record.
    const list = await runDlqCli(['list', '--json'], env);
    const listed = JSON.parse(list.stdout) as { topic: string }[];
    expect(listed.filter((entry) => entry.topic !== `${source}_dlq`)).toEqual(
      listed
        .filter((entry) => entry.topic !== `${source}_dlq`)
        .map((entry) => ({ topic: entry.topic, records: 0, toHandle: 0 })),
    );
    expect(listed).toContainEqual({ topic: `${source}_dlq`, records: 1, toHandle: 0 });

    const again = await runDlqCli(
      ['replay', 'payment_successful', '--all', '--include-handled', '--reason', 'test'],
      env,
    );

    expect(again.code).toBe(0);
    await waitFor(async () => (await duplicatesSeen()) >= 1, {
      message: 'the second replay seen as a duplicate',
    });
    expect(await history(orderId)).toEqual(['PENDING', 'INVENTORY_RESERVING']);
    const { rows } = await app.sql.query(
      'SELECT outcome FROM processed_events WHERE event_id = $1',
      [payment.eventId],
    );
    expect(rows).toEqual([{ outcome: 'applied' }]);
    expect(raw.records.filter((r) => r.topic === `${source}_dlq`)).toHaveLength(1);

    await peers.send('inventory_reserved', { orderId, reservationId: 'res-77' });
    await waitFor(async () => (await history(orderId)).at(-1) === 'CONFIRMED', {
      message: 'the order confirmed after the replayed payment',
    });
  }, 90_000);
});
