import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { CONSUMED_TOPICS } from '../../../src/messaging/topics';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { startTcpProxy, type CutMode, type TcpProxy } from '../../support/tcp-proxy';
import { waitFor } from '../../support/wait-for';
import { capturingLogger } from '../../support/capturing-logger';
import { freshDatabase } from '../../support/fixtures/fresh-database';

// Above the two 30 s waits in one test, so a slow run fails with the wait's own message.
jest.setTimeout(90_000);

const database = freshDatabase();

/**
 * Postgres goes away under the saga consumer of one service (a TCP proxy between that service and
 * the shared server is cut; other test files keep their databases). A dependency outage is not
 * the records' fault: nothing may be dead-lettered, nothing skipped, everything applied once after.
 */
describe('a database outage during consumption', () => {
  /** Low, so that an outage misread as a handler error would dead-letter within the test. */
  const MAX_ATTEMPTS = 2;
  const ORDERS = 8;
  let proxy: TcpProxy;
  let config: Config;
  let service: RunningService;
  let peers: PeerEvents;
  let baseUrl: string;
  let adminUrl: string;
  const { logger, entries: logLines } = capturingLogger('warn');

  beforeAll(async () => {
    const { hostname, port } = new URL(database.url);
    proxy = await startTcpProxy({ host: hostname, port: Number(port || 5432) });
    config = testConfig({
      DATABASE_URL: proxy.proxiedUrl(database.url),
      CONSUMER_MAX_UNKNOWN_ATTEMPTS: String(MAX_ATTEMPTS),
      // A silent server is detected by the client-side query timeout that follows it; keep it
      // short so several retries fit in the test's window.
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
    });
    service = await startJoinedOrderService(config, logger);
    baseUrl = service.http.url;
    adminUrl = service.admin.url;
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
  }, 60_000);
  afterAll(async () => {
    proxy?.restore();
    await peers?.stop();
    await service?.stop();
    await proxy?.stop();
  });

  async function placeOrders(count: number): Promise<{ id: string; totalAmount: number }[]> {
    const orders = [];
    for (let i = 0; i < count; i++)
      orders.push(await readJson(await postOrder(baseUrl, aValidOrder())));
    return orders;
  }

  /** The highest attempt number the consumer logged for a record it kept retrying. */
  function highestRetriedAttempt(since: number): number {
    return Math.max(
      0,
      ...logLines
        .slice(since)
        .filter((line) => line.message === 'record failed; partition paused for a retry')
        .map((line) => Number(line.attempt)),
    );
  }

  const deadLettered = () => logLines.filter((line) => line.message === 'record dead-lettered');

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  async function deadLetterTopicsRecordCount(): Promise<number> {
    const admin = new Kafka({ brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      let count = 0;
      for (const topic of CONSUMED_TOPICS) {
        const offsets = await admin.fetchTopicOffsets(`${config.KAFKA_TOPIC_PREFIX}${topic}_dlq`);
        for (const { high, low } of offsets) count += Number(high) - Number(low);
      }
      return count;
    } finally {
      await admin.disconnect();
    }
  }

  test.each<[string, CutMode]>([
    ['refuses connections', 'reset'],
    ['stops answering (a network partition)', 'blackhole'],
  ])(
    'when Postgres %s while replies arrive, then nothing is dead-lettered and every reply is applied exactly once after recovery',
    async (_case, mode) => {
      const orders = await placeOrders(ORDERS);
      const logMark = logLines.length;
      const retriesBefore = await metric('consumer_retries_total');

      proxy.cut(mode);
      const sent = [];
      for (const order of orders) {
        sent.push(
          await peers.send('payment_successful', {
            orderId: order.id,
            paymentId: `pay-${randomUUID()}`,
            amount: order.totalAmount,
          }),
        );
      }
      // Long enough that a handler error would have been dead-lettered after MAX_ATTEMPTS.
      await waitFor(() => highestRetriedAttempt(logMark) > MAX_ATTEMPTS || deadLettered().length, {
        timeoutMs: 30_000,
        message: `a record retried more than ${MAX_ATTEMPTS} times during the outage`,
      });
      expect(deadLettered()).toEqual([]);
      proxy.restore();

      const ids = orders.map((order) => order.id);
      await waitFor(
        async () => {
          const { rows } = await database.sql.query(
            `SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[]) AND status = 'INVENTORY_RESERVING'`,
            [ids],
          );
          return rows[0].n === ORDERS;
        },
        { timeoutMs: 30_000, message: `all ${ORDERS} orders moved on after recovery` },
      );
      const processed = await database.sql.query(
        `SELECT event_id, outcome FROM processed_events WHERE event_id = ANY($1::text[]) ORDER BY event_id`,
        [sent.map((payload) => payload.eventId)],
      );
      expect(processed.rows).toEqual(
        sent
          .map((payload) => ({ event_id: payload.eventId, outcome: 'applied' }))
          .sort((a, b) => String(a.event_id).localeCompare(String(b.event_id))),
      );
      const history = await database.sql.query(
        `SELECT order_id, count(*)::int AS n FROM order_status_history
         WHERE order_id = ANY($1::uuid[]) AND to_status = 'INVENTORY_RESERVING' GROUP BY order_id`,
        [ids],
      );
      expect(history.rows.map((row) => row.n)).toEqual(Array(ORDERS).fill(1));
      expect(await metric('consumer_retries_total')).toBeGreaterThan(retriesBefore);
      expect(await metric('dead_lettered_records_total')).toBe(0);
      expect(await deadLetterTopicsRecordCount()).toBe(0);
      expect(deadLettered()).toEqual([]);
      // The consumer handled the outage itself: kafkajs never had to crash and restart it.
      expect(logLines.filter((line) => /crash|restart/i.test(String(line.message)))).toEqual([]);
    },
    90_000,
  );
});
