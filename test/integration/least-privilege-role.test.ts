import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { RunningService } from '../../src/application';
import type { Config } from '../../src/config';
import { adminQuery, databaseUrl, runDbMigrate } from '../support/database';
import { runDlqCli } from '../support/dlq-cli';
import { sharedKafkaStack } from '../support/kafka-stack';
import {
  aValidOrder,
  jsonHeaders,
  postOrder,
  readJson,
  testConfig,
  startJoinedOrderService,
} from '../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../support/peer-events';
import { waitFor } from '../support/wait-for';

const GRANTS = path.resolve(__dirname, '../../deploy/postgres/initdb/20-service-role-grants.sql');

/**
 * docker-compose runs the service as a role that may only read and write rows; migrations run as
 * the owner. Here the same grants file is applied to a real Postgres, with role names of this
 * run's own (roles are cluster-wide), and the whole service runs as that role.
 */
describe('least-privilege database role', () => {
  const run = randomBytes(4).toString('hex');
  const owner = `order_owner_${run}`;
  const serviceRole = `order_service_${run}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const name = `order_roles_${run}`;
  let superuserUrl: string;
  let ownerUrl: string;
  let serviceUrl: string;
  let service: RunningService;
  let config: Config;
  let peers: PeerEvents;

  const urlAs = (url: string, user: string) => {
    const parsed = new URL(url);
    parsed.username = user;
    parsed.password = password;
    return parsed.toString();
  };

  beforeAll(async () => {
    const adminUrl = process.env.TEST_PG_ADMIN_URL as string;
    superuserUrl = databaseUrl(adminUrl, name);
    await adminQuery(adminUrl, `CREATE ROLE ${owner} LOGIN PASSWORD '${password}'`);
    await adminQuery(adminUrl, `CREATE ROLE ${serviceRole} LOGIN PASSWORD '${password}'`);
    await adminQuery(adminUrl, `CREATE DATABASE ${name} OWNER ${owner}`);
    // As docker-compose's init: the grants first, on an empty database, then the migrations.
    const grants = readFileSync(GRANTS, 'utf8')
      .replaceAll('order_owner', owner)
      .replaceAll('order_service', serviceRole);
    await adminQuery(superuserUrl, grants);
    ownerUrl = urlAs(superuserUrl, owner);
    serviceUrl = urlAs(superuserUrl, serviceRole);
    const migrate = await runDbMigrate(['deploy'], { DATABASE_URL: ownerUrl });
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);

    config = testConfig({ DATABASE_URL: serviceUrl });
    service = await startJoinedOrderService(config);
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
  }, 60_000);
  afterAll(async () => {
    await peers?.stop();
    await service?.stop();
    const adminUrl = process.env.TEST_PG_ADMIN_URL as string;
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await adminQuery(adminUrl, `DROP ROLE IF EXISTS ${serviceRole}`);
    await adminQuery(adminUrl, `DROP ROLE IF EXISTS ${owner}`);
  });

  async function asServiceRole<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: serviceUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  test('when the service runs as the role, then intake, the relay, the saga and cancellation all work', async () => {
    const url = service.http.url;
    const order = await readJson(await postOrder(url, aValidOrder()));
    expect(order.status).toBe('PENDING');
    // The relay (advisory lock, LISTEN, marking rows published) ran as the role too.
    await waitFor(
      async () =>
        asServiceRole(async (client) => {
          const { rows } = await client.query(
            'SELECT published_at FROM outbox WHERE order_id = $1',
            [order.id],
          );
          return rows[0]?.published_at !== null && rows.length === 1;
        }),
      { message: 'the outbox row to be published' },
    );
    await peers.send('payment_successful', {
      orderId: order.id,
      paymentId: 'pay-role',
      amount: order.totalAmount,
    });
    await waitFor(
      async () =>
        (await readJson(await fetch(`${url}/api/v1/orders/${order.id}`))).status ===
        'INVENTORY_RESERVING',
      { message: 'the saga to apply the payment' },
    );
    const cancelled = await fetch(`${url}/api/v1/orders/${order.id}/cancel`, {
      method: 'POST',
      headers: jsonHeaders,
      body: '{}',
    });
    expect(cancelled.status).toBe(200);
  });

  test('when the DLQ tool runs as the role, then it reads its table', async () => {
    const result = await runDlqCli(['list', '--json'], {
      DATABASE_URL: serviceUrl,
      KAFKA_BROKERS: config.KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL: config.SCHEMA_REGISTRY_URL,
      KAFKA_TOPIC_PREFIX: config.KAFKA_TOPIC_PREFIX,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // One row per dead-letter topic, each counted against dead_letter_actions (the mock broker
    // has no dead-letter topics until something is dead-lettered).
    if (sharedKafkaStack().flavour === 'real') {
      expect(JSON.parse(result.stdout).length).toBeGreaterThan(0);
    }
  });

  test.each([
    ['create a table', 'CREATE TABLE intruder (id int)'],
    ['drop a table', 'DROP TABLE orders'],
    ['alter a table', 'ALTER TABLE orders ADD COLUMN intruder int'],
    ['empty a table at once', 'TRUNCATE orders'],
  ])('when the role tries to %s, then Postgres refuses', async (_case, statement) => {
    await expect(asServiceRole((client) => client.query(statement))).rejects.toThrow(
      /permission denied|must be owner/,
    );
  });

  describe('the operators audit (operator_audit) is append-only for the role', () => {
    const insert = `INSERT INTO operator_audit (actor, role, via, action, target, reason, result)
                    VALUES ('ops', 'operator', 'cli', 'skip', 'dlq:t/0/1', 'why', 'done')`;

    test('when the role appends and reads rows, then Postgres lets it', async () => {
      await asServiceRole((client) => client.query(insert));
      const { rows } = await asServiceRole((client) =>
        client.query(`SELECT actor FROM operator_audit WHERE target = 'dlq:t/0/1'`),
      );
      expect(rows.length).toBeGreaterThan(0);
    });

    test.each([
      ['change a row', `UPDATE operator_audit SET actor = 'someone else'`],
      ['remove a row', 'DELETE FROM operator_audit'],
      ['empty the table', 'TRUNCATE operator_audit'],
      ['drop the guard', 'DROP TRIGGER operator_audit_append_only ON operator_audit'],
    ])(
      'when the role tries to %s, then Postgres refuses it permission',
      async (_case, statement) => {
        await expect(asServiceRole((client) => client.query(statement))).rejects.toThrow(
          /permission denied|must be owner/,
        );
      },
    );

    test('when the grants file is applied again, then the role still may not change the audit', async () => {
      const grants = readFileSync(GRANTS, 'utf8')
        .replaceAll('order_owner', owner)
        .replaceAll('order_service', serviceRole);
      await adminQuery(superuserUrl, grants);
      await expect(
        asServiceRole((client) => client.query('DELETE FROM operator_audit')),
      ).rejects.toThrow(/permission denied for table operator_audit/);
    });
  });
});
