import { Client } from 'pg';
import { aValidOrder, jsonHeaders, postOrder, readJson } from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

const app = runningService({
  DATABASE_POOL_SIZE: '2',
  DATABASE_WORKER_POOL_SIZE: '3',
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  DATABASE_STATEMENT_TIMEOUT_MS: '20000',
});

/**
 * The API and the saga have separate pools: requests that hold every API connection (here,
 * cancellations waiting on a locked row) cannot keep the saga consumer from its own.
 */
describe('database pools: an HTTP flood cannot starve the saga', () => {
  let peers: PeerEvents;
  let locker: Client;
  beforeAll(async () => {
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    locker = new Client({ connectionString: app.databaseUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await peers?.stop();
  });

  const statusOf = async (id: string) =>
    (await app.sql.query('SELECT status FROM orders WHERE id = $1', [id])).rows[0]?.status;

  test('when every API connection is held by waiting requests, then the saga still moves another order on', async () => {
    const blocked = await readJson(await postOrder(app.url, aValidOrder()));
    const other = await readJson(await postOrder(app.url, aValidOrder()));
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [blocked.id]);

    // The flood: cancellations of the locked order, four at a time, each holding an API
    // connection until the row lock or its transaction timeout lets go.
    let flooding = true;
    const flood = Array.from({ length: 4 }, async () => {
      while (flooding) {
        await fetch(`${app.url}/api/v1/orders/${blocked.id}/cancel`, {
          method: 'POST',
          headers: jsonHeaders,
          body: '{}',
        }).then((response) => response.arrayBuffer());
      }
    });
    try {
      // The API is starved: a plain read cannot get a connection.
      await waitFor(
        async () => (await fetch(`${app.url}/api/v1/orders/${other.id}`)).status === 503,
        { timeoutMs: 5_000, message: 'the API pool to be exhausted' },
      );

      await peers.send('payment_successful', {
        orderId: other.id,
        paymentId: 'pay-pool',
        amount: other.totalAmount,
      });

      await waitFor(async () => (await statusOf(other.id)) === 'INVENTORY_RESERVING', {
        timeoutMs: 4_000,
        message: 'the saga to apply payment_successful while the API pool is exhausted',
      });
      expect(await statusOf(blocked.id)).toBe('PENDING');
    } finally {
      flooding = false;
      await locker.query('ROLLBACK');
      await Promise.all(flood);
    }
  });
});
