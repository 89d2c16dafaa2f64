import pg from 'pg';
import type { Logger } from '../shared/logger';
import { redactErrorText } from '../shared/redaction';

export interface PendingOutboxMessage {
  /** bigint, as Postgres' text: only ever handed back to Postgres. */
  id: string;
  eventId: string;
  orderId: string;
  topic: string;
  key: string;
  payload: object;
  headers: Record<string, string>;
  /** The trace context of the work that wrote it (null when tracing was off). */
  traceparent: string | null;
}

/**
 * Unpublished rows claimed by one relay: locked (SELECT ... FOR UPDATE) in a transaction that
 * stays open while they are sent, so a relay that takes their slot over meanwhile waits for
 * them to be marked instead of sending them a second time.
 */
export interface ClaimedBatch {
  rows: PendingOutboxMessage[];
  /** The claim stopped at its row or byte bound: more rows may be waiting now. */
  bounded: boolean;
  /** Counts a failed attempt on rows that stay unpublished (in the claim's transaction). */
  recordFailure(ids: string[], error: string): Promise<void>;
  /** Marks `ids` published and commits, which releases every claimed row. */
  markPublished(ids: string[]): Promise<void>;
  /** Rolls the claim back: its rows stay unpublished and are free again. Never throws. */
  release(): Promise<void>;
}

export interface ClaimOptions {
  limit: number;
  /** Most bytes of rows one claim takes, counted as `CLAIM` says (the first row always). */
  maxBytes: number;
  /** The relay slots whose rows to claim (see `slotOf`). */
  slots: readonly number[];
  /** Rows already claimed by this relay and not yet committed. */
  skipIds: string[];
  /** Orders the relay holds back (a row it cannot encode). */
  skipOrders: string[];
}

export interface OutboxRepositoryOptions {
  url: string;
  /** Claims in flight at once, plus one for the rest (failures, pruning). */
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  logger: Logger;
}

/**
 * How many slots the outbox is split into, for relays in several instances: a row belongs to
 * slot hash(order id) mod this, so one order's rows share one slot and one publisher. Every
 * instance sharing a database must agree on it, so it is fixed here, not configured; 32 keeps a
 * share for each of up to 32 instances.
 */
export const RELAY_SLOTS = 32;
/** SQL for the slot of an order id (every instance asks the same server, so all agree). */
export const slotOf = (orderId: string) =>
  `(hashtext(${orderId}::text) & 2147483647) % ${RELAY_SLOTS}`;

export const PRUNE_CHUNK = 5_000;
/**
 * The relay's sessions. Losing a commit in a crash only sends its rows again, which
 * at-least-once allows. No bitmap scans: believing few rows unpublished (statistics go stale in
 * an outage, just when the backlog is largest), the planner read every unpublished row and
 * sorted them for each claim; the ordered scan of outbox_unpublished_id_idx reads one batch.
 */
export const RELAY_SESSION_OPTIONS = '-c synchronous_commit=off -c enable_bitmapscan=off';

/**
 * A row's size as the claim counts it: its payload and headers as JSON text (more than their
 * Avro and header bytes on the wire), plus this for its key, fixed headers and record framing.
 */
export const ROW_OVERHEAD_BYTES = 200;

/**
 * The oldest unpublished rows, in id order, up to $1 rows and, as a prefix of those, up to $5
 * bytes (the first row always): kafkajs sends a batch's records for one partition as one record
 * batch, which the broker refuses whole above `message.max.bytes`, and such a batch would be
 * retried for ever. `candidates` says how many rows the row bound alone would have taken, so the
 * relay knows more are waiting when the byte bound cut the batch short. $4 is null when the relay
 * holds every slot, sparing the hash of each row. The batch's rows are locked by id lookups
 * (`= ANY(ARRAY(...))`): as an `IN` join, the planner could walk the whole unpublished index in id
 * order to spare itself the final sort (outbox-claim-cost.test.ts).
 */
export const CLAIM = `
  WITH candidates AS (
    SELECT id, octet_length(payload::text) + coalesce(octet_length(headers::text), 0)
             + coalesce(octet_length(traceparent), 0) + ${ROW_OVERHEAD_BYTES} AS size
    FROM outbox
    WHERE published_at IS NULL AND id <> ALL($2::bigint[]) AND order_id <> ALL($3::uuid[])
      AND ($4::int[] IS NULL OR ${slotOf('order_id')} = ANY($4::int[]))
    ORDER BY id
    LIMIT $1
  ), within AS (
    SELECT id FROM (SELECT id, size, sum(size) OVER (ORDER BY id) AS running FROM candidates) s
    WHERE running <= $5 OR running = size
  )
  SELECT o.id, o.event_id, o.order_id, o.topic, o.key, o.payload, o.headers, o.traceparent,
         (SELECT count(*) FROM candidates)::int AS candidates
  FROM outbox o
  WHERE o.id = ANY(ARRAY(SELECT id FROM within)) AND o.published_at IS NULL
  ORDER BY o.id
  FOR UPDATE OF o`;
/**
 * One chunk of pruning: the $2 oldest published rows older than $1, in the order of their index
 * (so the scan stops after the chunk), deleted by id lookups. In id order the planner sorted
 * every prunable row for each chunk; as an `IN` join it scanned the whole table for each chunk
 * (outbox-claim-cost.test.ts).
 */
export const PRUNE_CHUNK_SQL = `
  DELETE FROM outbox WHERE id = ANY(ARRAY(
    SELECT id FROM outbox WHERE published_at < $1 ORDER BY published_at LIMIT $2))`;
const MARK_PUBLISHED = `UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`;
const RECORD_FAILURE = `
  UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 1000) WHERE id = ANY($1::bigint[])`;

/**
 * Ids Postgres gave (bigints, uuids: digits, hex and dashes) as one array literal. Given an
 * array, pg escaped and quoted each element: a claim skips up to two batches of ids, so that
 * was thousands of strings per claim on the relay's one thread.
 */
const idArray = (ids: readonly string[]) => `{${ids.join(',')}}`;

interface OutboxRow {
  candidates: number;
  id: string;
  event_id: string;
  order_id: string;
  topic: string;
  key: string;
  payload: object;
  headers: Record<string, string> | null;
  traceparent: string | null;
}

function toPending(row: OutboxRow): PendingOutboxMessage {
  return {
    id: row.id,
    eventId: row.event_id,
    orderId: row.order_id,
    topic: row.topic,
    key: row.key,
    payload: row.payload,
    headers: row.headers ?? {},
    traceparent: row.traceparent,
  };
}

/**
 * The relay's queries, in plain SQL on a pool of its own: Prisma cost about as much per batch
 * as the SQL itself, and a claim holds its connection while Kafka answers, which must not take
 * connections from the saga's pool.
 */
export function createOutboxRepository(options: OutboxRepositoryOptions) {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: 'outbox-relay',
    options: RELAY_SESSION_OPTIONS,
  });
  pool.on('error', (error) =>
    options.logger.warn('idle outbox relay connection failed', { error: error.message }),
  );

  return {
    /** The oldest unpublished rows, in write order, so one order's events leave in sequence. */
    async claimBatch({
      limit,
      maxBytes,
      slots,
      skipIds,
      skipOrders,
    }: ClaimOptions): Promise<ClaimedBatch> {
      const slotFilter = slots.length >= RELAY_SLOTS ? null : slots;
      const client = await pool.connect();
      let broken: Error | undefined;
      // Checked out, the client's connection errors come here, not to the pool: without a
      // listener a broken connection would crash the process.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      let ended = false;
      /** Ends the transaction once; a connection that broke is discarded, not pooled again. */
      const end = async (sql: 'COMMIT' | 'ROLLBACK'): Promise<void> => {
        if (ended) return;
        ended = true;
        try {
          if (!broken) await client.query(sql);
        } catch (error) {
          broken ??= error as Error;
          throw error;
        } finally {
          client.off('error', onError);
          client.release(broken);
        }
      };
      const rollback = () => end('ROLLBACK').catch(() => undefined);
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<OutboxRow>(CLAIM, [
          limit,
          idArray(skipIds),
          idArray(skipOrders),
          slotFilter,
          maxBytes,
        ]);
        const candidates = rows[0]?.candidates ?? 0;
        return {
          rows: rows.map(toPending),
          bounded: rows.length >= limit || candidates > rows.length,
          async recordFailure(ids, error) {
            await client.query(RECORD_FAILURE, [idArray(ids), redactErrorText(error)]);
          },
          async markPublished(ids) {
            try {
              if (ids.length > 0) await client.query(MARK_PUBLISHED, [idArray(ids)]);
            } catch (error) {
              await rollback();
              throw error;
            }
            await end('COMMIT');
          },
          release: rollback,
        };
      } catch (error) {
        await rollback();
        throw error;
      }
    },

    /** Counts a failed attempt on rows nobody holds a claim on (after a failed send). */
    async recordFailure(ids: string[], error: string): Promise<void> {
      await pool.query(RECORD_FAILURE, [idArray(ids), redactErrorText(error)]);
    },

    /** Deletes published rows older than `before`, in chunks so no long lock is held. */
    async prunePublished(before: Date): Promise<number> {
      let total = 0;
      for (;;) {
        const { rowCount } = await pool.query(PRUNE_CHUNK_SQL, [before, PRUNE_CHUNK]);
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < PRUNE_CHUNK) return total;
      }
    },

    close: () => pool.end(),
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
