import { Client } from 'pg';
import { errorMessage } from '../shared/app-error';
import type { Logger } from '../shared/logger';

/** Arbitrary, fixed: every instance of this service contends for the same advisory lock. */
const RELAY_LOCK_KEY = 7_201_884_113;
/** pg_locks shows a bigint advisory key as its high and low 32 bits (objsubid 1). */
const LOCK_KEY_HALVES = [Math.floor(RELAY_LOCK_KEY / 2 ** 32), RELAY_LOCK_KEY % 2 ** 32];
const HOLDS_LOCK = `
  SELECT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
      AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1
  ) AS held`;
/** What relays tell each other: "outbox rows were committed" (see outbox-signal.ts). */
export const OUTBOX_CHANNEL = 'outbox_written';

/**
 * One relay at a time publishes, so one order's events can never race each other out of order
 * across instances. Leadership is a session-level advisory lock on a dedicated connection: if
 * the leader dies or loses its connection, Postgres releases the lock and a standby takes over.
 * The same connection LISTENs for, and sends, the other instances' outbox notifications.
 */
export class RelayLeadership {
  private client: Client | undefined;
  private leader = false;

  constructor(
    private readonly database: { url: string; statementTimeoutMs: number },
    private readonly onNotify: () => void,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /**
   * True when this instance holds the lock (taking it if free). A leader asks its lock
   * connection again rather than trusting its flag: the session may be gone unnoticed.
   */
  async acquire(): Promise<boolean> {
    if (this.leader) return this.confirm();
    const client = await this.connect();
    const result = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [RELAY_LOCK_KEY],
    );
    this.leader = result.rows[0]?.locked === true;
    if (this.leader) {
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.logger.info('outbox relay leadership acquired');
    }
    return this.leader;
  }

  /**
   * Asks the lock connection whether its session still holds the lock; false (and no longer
   * leader) when it does not or cannot answer. The relay asks before every batch it sends.
   */
  async confirm(): Promise<boolean> {
    const client = this.client;
    if (!this.leader || !client) return false;
    try {
      const { rows } = await client.query<{ held: boolean }>(HOLDS_LOCK, LOCK_KEY_HALVES);
      if (rows[0]?.held === true) return true;
      this.logger.warn('outbox relay lock connection no longer holds the lock');
    } catch (error) {
      this.logger.warn('outbox relay lock connection failed', { error: errorMessage(error) });
    }
    await this.release();
    return false;
  }

  /** Tells the other instances' relays that outbox rows were committed (when connected). */
  async notifyOthers(): Promise<void> {
    await this.client?.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    if (!client) return;
    await client.end().catch(() => undefined); // closing the session releases the lock
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: this.database.url,
      // A lock connection that stops answering counts as lost (confirm), not as a hang.
      query_timeout: this.database.statementTimeoutMs,
      application_name: 'outbox-relay',
      // Its only writes are notifications: they need not wait for the WAL flush.
      options: '-c synchronous_commit=off',
    });
    client.on('error', (error) => {
      // The session, and with it the lock, is gone: stop publishing until re-acquired.
      if (this.leader) this.logger.warn('outbox relay lost leadership', { error: error.message });
      this.client = undefined;
      this.leader = false;
    });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    client.on('notification', ({ processId }) => {
      if (processId !== rows[0]?.pid) this.onNotify(); // our own writes woke us already
    });
    this.client = client;
    return client;
  }
}
