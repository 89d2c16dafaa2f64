import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startOrderService, type RunningService } from '../../../src/application';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { testConfig } from '../../support/order-service-harness';
import { waitFor } from '../../support/wait-for';
import { capturingLogger } from '../../support/capturing-logger';

/**
 * OUTBOX_RETENTION_HOURS=1: the relay's prune deletes a published row published 70 minutes ago,
 * keeps one published 50 minutes ago, and never touches an unpublished row however old. The
 * 10-minute margins keep the test far from the boundary on a slow machine.
 */
describe('outbox retention of one hour', () => {
  let database: TestDatabase;
  let service: RunningService;
  let sql: Client;

  /** A row as the relay would find it; `{}` cannot be encoded, so an unpublished row stays so. */
  async function insertRow(ageMinutes: number, publishedMinutesAgo: number | null) {
    const eventId = randomUUID();
    await sql.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload, created_at, published_at)
       VALUES ($1, $2::uuid, 'process_payment_request', $2::text, '{}',
               now() - make_interval(mins => $3), now() - make_interval(mins => $4))`,
      [eventId, randomUUID(), ageMinutes, publishedMinutesAgo],
    );
    return eventId;
  }

  async function exists(eventId: string): Promise<boolean> {
    const { rows } = await sql.query('SELECT 1 FROM outbox WHERE event_id = $1', [eventId]);
    return rows.length === 1;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await service?.stop();
    await database?.drop();
  });

  test('when the prune runs, then only the published row older than the retention is deleted', async () => {
    // All three exist before the relay starts, so the prune that deletes the old one saw them all.
    await sql.query('BEGIN');
    const old = await insertRow(80, 70);
    const young = await insertRow(60, 50);
    const unpublished = await insertRow(24 * 60, null);
    await sql.query('COMMIT');

    service = await startOrderService(
      testConfig({
        DATABASE_URL: database.url,
        OUTBOX_RETENTION_HOURS: '1',
        OUTBOX_PRUNE_INTERVAL_MS: '1000',
      }),
      capturingLogger().logger,
    );
    await waitFor(async () => !(await exists(old)), { message: 'the old published row pruned' });

    expect(await exists(young)).toBe(true);
    expect(await exists(unpublished)).toBe(true);
    const { rows } = await sql.query('SELECT published_at FROM outbox WHERE event_id = $1', [
      unpublished,
    ]);
    expect(rows[0].published_at).toBeNull();
  });
});
