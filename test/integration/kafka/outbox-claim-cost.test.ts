import { Client } from 'pg';
import { CLAIM, RELAY_SESSION_OPTIONS } from '../../../src/data-access/outbox-repository';
import { createTestDatabase, type TestDatabase } from '../../support/database';

const BATCH = 100;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/**
 * The planner picks the claim's plan from statistics that lag the backlog: none yet on a new
 * table, or taken while nothing was waiting, before an outage built one up. Autovacuum is off on
 * the table here, so they stay as set up.
 */
describe.each([
  ['no statistics yet', false],
  ['statistics taken while nothing waited', true],
])('an outbox claim reads its batch, not the backlog behind it (%s)', (_, analyzedEmpty) => {
  let database: TestDatabase;
  let sql: Client;
  let relaySession: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    await sql.query(`ALTER TABLE outbox SET (autovacuum_enabled = off)`);
    if (analyzedEmpty) {
      await addRows(1_000);
      await sql.query(`UPDATE outbox SET published_at = now()`);
      await sql.query(`ANALYZE outbox`);
    }
    relaySession = new Client({ connectionString: database.url, options: RELAY_SESSION_OPTIONS });
    await relaySession.connect();
  });
  afterAll(async () => {
    await relaySession?.end();
    await sql?.end();
    await database?.drop();
  });

  async function addRows(count: number): Promise<void> {
    await sql.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload)
       SELECT e, o, 'process_payment_request', o::text, jsonb_build_object(
         'eventId', e::text, 'orderId', o::text, 'customerId', 'backlog', 'amount', 1000,
         'currency', 'EUR', 'occurredAt', 0)
       FROM (SELECT gen_random_uuid() AS e, gen_random_uuid() AS o
             FROM generate_series(1, $1)) AS g`,
      [count],
    );
  }

  /** The claim as the relay sends it, in a session set up as the relay's are; rolled back. */
  async function claimPlan(): Promise<PlanNode[]> {
    await relaySession.query('BEGIN');
    try {
      const { rows } = await relaySession.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${CLAIM}`,
        [BATCH, [], [], null, 1 << 20],
      );
      return nodesOf(rows[0]!['QUERY PLAN'][0]!.Plan);
    } finally {
      await relaySession.query('ROLLBACK');
    }
  }

  const blocksOf = ([root]: PlanNode[]) => root!['Shared Hit Blocks'] + root!['Shared Read Blocks'];

  it('when the backlog grows tenfold, then the claim reads about the same number of blocks', async () => {
    await addRows(2_000);
    const small = blocksOf(await claimPlan());
    await addRows(18_000);
    const large = await claimPlan();

    // Reading every unpublished row (a bitmap scan, or a full ordered scan) is ten times more.
    expect(blocksOf(large)).toBeLessThan(small * 2);
    expect(large.map((node) => node['Index Name'])).toContain('outbox_unpublished_id_idx');
    expect(large.map((node) => node['Node Type'])).not.toContain('Bitmap Heap Scan');
  });
});
