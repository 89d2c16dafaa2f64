import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  createOutboxRepository,
  type OutboxRepository,
} from '../../../src/data-access/outbox-repository';
import { capturingLogger } from '../../support/capturing-logger';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { ALL_RELAY_SLOTS, insertPaymentRequests } from '../../support/outbox-fixtures';

/** A registry's or broker's error as the relay records it: it may quote credentials. */
const ERROR_TEXT =
  'POST https://svc:hunter2@registry.example/apis failed: 401 (Authorization: Bearer tok-abcdefghij)' +
  ' via postgresql://db/orders?password=pg-secret';

/**
 * `outbox.last_error` is read by operators (and their dashboards) long after the fact: an error
 * text is stored redacted, whichever of the repository's two ways records it.
 */
describe('outbox.last_error', () => {
  let database: TestDatabase;
  let sql: Client;
  let outbox: OutboxRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    outbox = createOutboxRepository({
      url: database.url,
      poolSize: 2,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 3_000,
      logger: capturingLogger().logger,
    });
  });
  afterAll(async () => {
    await outbox?.close();
    await sql?.end();
    await database?.drop();
  });

  async function lastErrorOf(eventId: string): Promise<string> {
    const { rows } = await sql.query<{ last_error: string }>(
      'SELECT last_error FROM outbox WHERE event_id = $1',
      [eventId],
    );
    return rows[0]?.last_error as string;
  }

  function expectRedacted(stored: string) {
    for (const secret of ['hunter2', 'tok-abcdefghij', 'pg-secret']) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain('https://svc:[REDACTED]@registry.example/apis failed: 401');
  }

  test('when a failed send is recorded on rows nobody holds, then the stored error carries no credentials', async () => {
    const [eventId] = await insertPaymentRequests(sql, [{ orderId: randomUUID(), amount: 1 }]);
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM outbox WHERE event_id = $1', [
      eventId,
    ]);

    await outbox.recordFailure([rows[0]!.id], ERROR_TEXT);

    expectRedacted(await lastErrorOf(eventId as string));
  });

  test('when a claimed row cannot be encoded, then the stored error carries no credentials', async () => {
    const [eventId] = await insertPaymentRequests(sql, [{ orderId: randomUUID(), amount: 2 }]);
    const claim = await outbox.claimBatch({
      limit: 100,
      maxBytes: 1 << 20,
      slots: ALL_RELAY_SLOTS,
      skipIds: [],
      skipOrders: [],
    });
    const row = claim.rows.find((claimed) => claimed.eventId === eventId);

    await claim.recordFailure([row!.id], ERROR_TEXT);
    await claim.markPublished([]);

    expectRedacted(await lastErrorOf(eventId as string));
  });
});
