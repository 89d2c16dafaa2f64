import { Client } from 'pg';
import {
  CLAIM,
  PRUNE_CHUNK,
  PRUNE_CHUNK_SQL,
  RELAY_SESSION_OPTIONS,
} from '../../../src/data-access/outbox-repository';
import { createTestDatabase } from '../../support/database';
import { analyzedPlan, blocksRead } from '../../support/query-plans';

/** `count` outbox rows, published at `publishedAt` (null: waiting to be). */
async function addRows(sql: Client, count: number, publishedAt: Date | null): Promise<void> {
  await sql.query(
    `INSERT INTO outbox (event_id, order_id, topic, key, payload, published_at)
     SELECT e, o, 'process_payment_request', o::text, jsonb_build_object(
       'eventId', e::text, 'orderId', o::text, 'customerId', 'backlog', 'amount', 1000,
       'currency', 'EUR', 'occurredAt', 0), $2
     FROM (SELECT gen_random_uuid() AS e, gen_random_uuid() AS o
           FROM generate_series(1, $1)) AS g`,
    [count, publishedAt],
  );
}

interface OutboxDatabase {
  /** For setting up rows and statistics. */
  sql: Client;
  /** Set up as the relay's sessions are: the statements under test run here. */
  relaySession: Client;
  drop(): Promise<void>;
}

/** A database whose outbox autovacuum leaves alone, so its statistics stay as a test sets them. */
async function outboxDatabase(): Promise<OutboxDatabase> {
  const database = await createTestDatabase();
  const sql = new Client({ connectionString: database.url });
  const relaySession = new Client({
    connectionString: database.url,
    options: RELAY_SESSION_OPTIONS,
  });
  await Promise.all([sql.connect(), relaySession.connect()]);
  await sql.query(`ALTER TABLE outbox SET (autovacuum_enabled = off)`);
  return {
    sql,
    relaySession,
    async drop() {
      await Promise.all([sql.end(), relaySession.end()]);
      await database.drop();
    },
  };
}

/**
 * The planner picks the claim's plan from statistics that lag the backlog: none yet on a new
 * table, or taken while nothing was waiting, before an outage built one up.
 */
describe.each([
  ['no statistics yet', false],
  ['statistics taken while nothing waited', true],
])('an outbox claim reads its batch, not the backlog behind it (%s)', (_, analyzedEmpty) => {
  const BATCH = 100;
  let outbox: OutboxDatabase;

  beforeAll(async () => {
    outbox = await outboxDatabase();
    if (analyzedEmpty) {
      await addRows(outbox.sql, 1_000, new Date());
      await outbox.sql.query(`ANALYZE outbox`);
    }
  });
  afterAll(() => outbox?.drop());

  /** The claim as the relay sends it, in a session set up as the relay's are. */
  const claimPlan = () => analyzedPlan(outbox.relaySession, CLAIM, [BATCH, [], [], null, 1 << 20]);

  it('when the backlog grows tenfold, then the claim reads about the same number of blocks', async () => {
    await addRows(outbox.sql, 2_000, null);
    const small = blocksRead(await claimPlan());
    await addRows(outbox.sql, 18_000, null);
    const large = await claimPlan();

    // Reading every unpublished row (a bitmap scan, or a full ordered scan) is ten times more.
    expect(blocksRead(large)).toBeLessThan(small * 2);
    expect(large.map((node) => node['Index Name'])).toContain('outbox_unpublished_id_idx');
    expect(large.map((node) => node['Node Type'])).not.toContain('Bitmap Heap Scan');
  });
});

describe('an outbox pruning chunk finds its rows, not the table around them', () => {
  const longAgo = new Date(Date.now() - 100 * 3_600_000);
  const retainedFrom = new Date(Date.now() - 72 * 3_600_000);
  let outbox: OutboxDatabase;

  beforeAll(async () => {
    outbox = await outboxDatabase();
    await addRows(outbox.sql, 2 * PRUNE_CHUNK, longAgo);
    await addRows(outbox.sql, 50_000, new Date());
    await outbox.sql.query(`ANALYZE outbox`);
  });
  afterAll(() => outbox?.drop());

  it('when most rows are still kept, then a chunk reads its rows in index order and deletes them by id', async () => {
    const plan = await analyzedPlan(outbox.relaySession, PRUNE_CHUNK_SQL, [
      retainedFrom,
      PRUNE_CHUNK,
    ]);

    // As an IN join, each chunk hashed its ids against a sequential scan of the whole outbox:
    // once per 5,000 rows pruned, hours of it at a production outbox's size.
    const nodes = plan.map((node) => node['Node Type']);
    expect(nodes).not.toContain('Seq Scan');
    // Sorting every prunable row to take a chunk of them: once per chunk, as many as there are.
    expect(nodes).not.toContain('Sort');
    expect(plan.map((node) => node['Index Name'])).toEqual(
      expect.arrayContaining(['outbox_published_at_idx', 'outbox_pkey']),
    );
  });
});
