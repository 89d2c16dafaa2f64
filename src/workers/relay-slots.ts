import { Client } from 'pg';
import { errorMessage } from '../shared/app-error';
import { RELAY_SLOTS } from '../data-access/outbox-repository';
import type { Logger } from '../shared/logger';

/** Advisory lock keys (two int4 form: class, key). Arbitrary, fixed, shared by every instance. */
export const SLOT_CLASS = 720_188_411;
/** Held shared by every instance taking part, so each can count the others. */
export const MEMBER_CLASS = 720_188_412;
/**
 * The single lock of the relay before slots (bigint form). Held shared by every slotted relay:
 * an older instance, which takes it exclusively, then cannot publish alongside them during a
 * rolling upgrade, and while it holds it they wait.
 */
export const SINGLE_RELAY_LOCK = 7_201_884_113;

/** What relays tell each other: "outbox rows were committed" (see outbox-signal.ts). */
const OUTBOX_CHANNEL = 'outbox_written';

/** The advisory locks of this database (pg_locks shows the whole cluster's). */
const RELAY_LOCKS = `
  SELECT classid::bigint AS class, objid::int AS key, pid, pid = pg_backend_pid() AS mine
  FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 2
    AND classid::bigint IN (${SLOT_CLASS}, ${MEMBER_CLASS})
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
const TRY_LOCK_SLOTS = `
  SELECT slot FROM unnest($1::int[]) AS slot WHERE pg_try_advisory_lock(${SLOT_CLASS}, slot)`;
const UNLOCK_SLOTS = `SELECT pg_advisory_unlock(${SLOT_CLASS}, slot) FROM unnest($1::int[]) AS slot`;
const SLOTS_STILL_HELD = `
  SELECT count(*)::int AS held FROM pg_locks
  WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND pid = pg_backend_pid()
    AND classid::bigint = ${SLOT_CLASS} AND objid::int = ANY($1::int[])`;

interface LockRow {
  /** bigint, as text */
  class: string;
  key: number;
  pid: number;
  mine: boolean;
}

export interface SlotPlan {
  release: number[];
  take: number[];
}

/**
 * Fair shares: each of `members` instances holds at most ceil(slots / members). One above its
 * share gives the surplus back; one below takes free slots. Shares add up to at least every
 * slot, so a slot freed by a dead instance always finds a taker.
 */
export function planSlots(
  mine: readonly number[],
  heldByOthers: ReadonlySet<number>,
  members: number,
): SlotPlan {
  const share = Math.ceil(RELAY_SLOTS / Math.max(1, members));
  const sorted = [...mine].sort((a, b) => a - b);
  if (sorted.length > share) return { release: sorted.slice(share), take: [] };
  const held = new Set(mine);
  const free = Array.from({ length: RELAY_SLOTS }, (_, slot) => slot).filter(
    (slot) => !held.has(slot) && !heldByOthers.has(slot),
  );
  return { release: [], take: free.slice(0, share - sorted.length) };
}

/**
 * Which slots of the outbox this instance publishes. Each slot is a session advisory lock on a
 * dedicated connection, so one slot, and with it one order's events, has one publisher at a
 * time. Instances share the slots fairly and rebalance as they come and go; when an instance
 * dies or loses its connection, Postgres releases its locks and the others take its slots over.
 * The same connection LISTENs for, and sends, the other instances' outbox notifications.
 */
export class RelaySlots {
  private client: Client | undefined;
  private joined = false;
  private held: number[] = [];
  /**
   * Whether another relay may be listening: false only while this instance's last rebalance
   * counted it as the only member, so a lone instance sends no notification nobody hears.
   */
  private othersMayListen = true;

  constructor(
    private readonly database: { url: string; statementTimeoutMs: number },
    /** Another instance committed outbox rows, or gave slots back. */
    private readonly onNotify: () => void,
    private readonly logger: Logger,
  ) {}

  /** The slots this instance holds, as of its last rebalance or confirmation. */
  get slots(): readonly number[] {
    return this.held;
  }

  /**
   * Joins the relays (once), gives back slots over its share and takes free ones up to it.
   * Returns the slots held now. Asked again before every publishing round, so a session lost
   * unnoticed shows here: its locks are gone from pg_locks.
   */
  async rebalance(): Promise<readonly number[]> {
    const client = await this.connect();
    if (!(await this.join(client))) return this.held;
    const { rows } = await client.query<LockRow>(RELAY_LOCKS);
    const members = new Set<number>();
    const mine: number[] = [];
    const heldByOthers = new Set<number>();
    for (const row of rows) {
      if (Number(row.class) === MEMBER_CLASS) members.add(row.pid);
      else if (row.mine) mine.push(row.key);
      else heldByOthers.add(row.key);
    }
    this.othersMayListen = members.size > 1;
    const lost = this.held.filter((slot) => !mine.includes(slot));
    if (lost.length > 0) this.logger.warn('outbox relay slots lost', { slots: lost });
    const plan = planSlots(mine, heldByOthers, members.size);
    let taken: number[] = [];
    if (plan.release.length > 0) {
      await client.query(UNLOCK_SLOTS, [plan.release]);
      this.logger.info('outbox relay slots given back', { slots: plan.release });
      await this.notifyOthers(); // the instances that are short wake and take them
    }
    if (plan.take.length > 0) {
      const result = await client.query<{ slot: number }>(TRY_LOCK_SLOTS, [plan.take]);
      taken = result.rows.map((row) => row.slot);
      if (taken.length > 0) this.logger.info('outbox relay slots taken', { slots: taken });
    }
    this.held = [...mine.filter((slot) => !plan.release.includes(slot)), ...taken].sort(
      (a, b) => a - b,
    );
    return this.held;
  }

  /**
   * Asks the lock connection whether its session still holds every slot in `slots`; false when
   * it does not or cannot answer. The relay asks before every batch it sends.
   */
  async confirm(slots: readonly number[]): Promise<boolean> {
    const client = this.client;
    if (!client || slots.length === 0) return false;
    try {
      const { rows } = await client.query<{ held: number }>(SLOTS_STILL_HELD, [slots]);
      if (rows[0]?.held === slots.length) return true;
      this.logger.warn('outbox relay lock connection no longer holds its slots');
    } catch (error) {
      this.logger.warn('outbox relay lock connection failed', { error: errorMessage(error) });
    }
    await this.release();
    return false;
  }

  /**
   * Tells the other instances' relays that outbox rows were committed: nothing while this is the
   * only relay. One that joins notifies on joining, so this instance's next rebalance counts it
   * (and it holds no slot before that rebalance gives some back); the poll covers the rest.
   */
  async announceWrites(): Promise<void> {
    if (this.othersMayListen) await this.notifyOthers();
  }

  /** Tells the other instances' relays to look: rows written, slots given back or joined. */
  async notifyOthers(): Promise<void> {
    await this.client?.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  }

  /** Gives every slot back, and tells the others so they take them over now, not at their poll. */
  async release(): Promise<void> {
    const client = this.client;
    const held = this.held.length > 0;
    this.forgetSession();
    if (!client) return;
    if (held) {
      await client
        .query(`SELECT pg_advisory_unlock_all(), pg_notify('${OUTBOX_CHANNEL}', '')`)
        .catch(() => undefined); // a broken session released them already
    }
    await client.end().catch(() => undefined); // closing the session releases every lock
  }

  /** Without its session this instance is no member, holds no slot, and cannot count the others. */
  private forgetSession(): void {
    this.client = undefined;
    this.joined = false;
    this.held = [];
    this.othersMayListen = true;
  }

  /** Takes the shared locks that make this instance a member; false while an older relay runs. */
  private async join(client: Client): Promise<boolean> {
    if (this.joined) return true;
    const { rows } = await client.query<{ joined: boolean }>(
      'SELECT pg_try_advisory_lock_shared($1) AS joined',
      [SINGLE_RELAY_LOCK],
    );
    if (rows[0]?.joined !== true) {
      this.logger.warn('an older outbox relay holds the single relay lock; waiting for it to stop');
      return false;
    }
    await client.query(`SELECT pg_advisory_lock_shared(${MEMBER_CLASS}, 0)`);
    this.joined = true;
    await this.notifyOthers(); // they rebalance now, not at their next poll
    return true;
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
      // The session, and with it every slot, is gone: stop publishing until rebalanced.
      if (this.held.length > 0)
        this.logger.warn('outbox relay lost its slots', { error: error.message });
      this.forgetSession();
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      client.on('notification', ({ processId }) => {
        if (processId !== rows[0]?.pid) this.onNotify(); // our own writes woke us already
      });
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }
}
