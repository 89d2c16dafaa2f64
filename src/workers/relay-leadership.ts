import { Client } from 'pg';
import type { Logger } from '../shared/logger';

/** Arbitrary, fixed: every instance of this service contends for the same advisory lock. */
const RELAY_LOCK_KEY = 7_201_884_113;
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
    private readonly databaseUrl: string,
    private readonly onNotify: () => void,
    private readonly logger: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** True when this instance holds the lock (taking it if free). */
  async acquire(): Promise<boolean> {
    if (this.leader) return true;
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
      connectionString: this.databaseUrl,
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
