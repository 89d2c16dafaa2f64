import type { Notification } from 'pg';
import { RelaySlots } from '../../../src/workers/relay-slots';
import { capturingLogger } from '../../support/capturing-logger';
import { freshDatabase } from '../../support/fixtures/fresh-database';
import { waitFor } from '../../support/wait-for';

const database = freshDatabase();
const CHANNEL = 'outbox_written';
/** Notified after the relays' statements: everything committed before it has arrived. */
const MARKER = 'relay_notifications_test_marker';

/**
 * The relays' "outbox rows written" notifications, heard as another instance would: a lone relay
 * sends none (nobody would hear them), and one with company sends them again.
 */
describe('outbox notifications between relays', () => {
  const heard: string[] = [];
  const relays: RelaySlots[] = [];
  const onNotification = ({ channel }: Notification) => heard.push(channel);

  beforeAll(async () => {
    database.sql.on('notification', onNotification);
    await database.sql.query(`LISTEN ${CHANNEL}`);
    await database.sql.query(`LISTEN ${MARKER}`);
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.release()));
  });
  afterAll(() => database.sql.removeListener('notification', onNotification));

  function relay(): RelaySlots {
    const slots = new RelaySlots(
      { url: database.url, statementTimeoutMs: 5_000 },
      () => undefined,
      capturingLogger().logger,
    );
    relays.push(slots);
    return slots;
  }

  /** The relays' notifications heard since the last call, once all of them have arrived. */
  async function heardSinceLast(): Promise<number> {
    await database.sql.query(`NOTIFY ${MARKER}`);
    await waitFor(async () => heard.includes(MARKER) || undefined, {
      timeoutMs: 5_000,
      intervalMs: 10,
      message: 'the marker notification',
    });
    const count = heard.filter((channel) => channel === CHANNEL).length;
    heard.length = 0;
    return count;
  }

  test('when a relay runs alone, then its writes are announced to nobody; when a second joins, they are announced again; when it leaves, no longer', async () => {
    const first = relay();
    await first.rebalance();
    await heardSinceLast(); // joining announces itself

    await first.announceWrites();
    await first.announceWrites();
    expect(await heardSinceLast()).toBe(0);

    const second = relay();
    await second.rebalance(); // joins, and tells the first
    await first.rebalance(); // counts it, and gives half of the slots back
    expect(second.slots).toHaveLength(0);
    await heardSinceLast();
    await first.announceWrites();
    expect(await heardSinceLast()).toBe(1);

    await second.rebalance(); // takes the half given back
    expect(second.slots.length).toBeGreaterThan(0);
    await second.announceWrites();
    expect(await heardSinceLast()).toBe(1);

    await second.release();
    await first.rebalance();
    await heardSinceLast();
    await first.announceWrites();
    expect(await heardSinceLast()).toBe(0);
  });
});
