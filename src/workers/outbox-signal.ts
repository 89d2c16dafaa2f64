/**
 * How a commit that wrote outbox rows reaches the relays, instead of a NOTIFY at commit.
 *
 * A NOTIFY inside the business transaction (the old insert trigger) makes its commit take
 * Postgres' one notify lock and hold it while the commit record is flushed: such commits queue
 * behind one another, and group commit is lost (pgbench on intake's statement, 64 clients: 370
 * transactions/s with the trigger, 2,330 without).
 *
 * So a store calls `outboxWritten()` after its commit. This instance's relay wakes at once, in
 * process; relays in other instances hear of it through one `pg_notify`, sent outside any
 * business transaction, at most once per `notifyIntervalMs` however many commits happen. The
 * relay's poll stays the fallback for a notification that never arrives.
 */
export interface OutboxSignal {
  /**
   * For the stores: call after each commit that wrote outbox rows (not before: the relay would
   * look before the rows are visible). Synchronous, never throws, safe to pass unbound.
   */
  outboxWritten(): void;
  /** For the relay: how it wakes here, and how it tells the other instances. */
  connect(relay: SignalledRelay): void;
}

export interface SignalledRelay {
  wake(): void;
  /**
   * One `pg_notify` to the other instances' relays (none while this is the only relay); failures
   * are the relay's to swallow.
   */
  notifyOthers(): Promise<void>;
}

export function createOutboxSignal({ notifyIntervalMs }: { notifyIntervalMs: number }) {
  let relay: SignalledRelay | undefined;
  let unsent = false;
  let timer: NodeJS.Timeout | undefined;
  let sending = false;
  let lastSentAt = -Infinity;

  /** Leading edge at once, then at most one trailing notification per interval. */
  function schedule(): void {
    if (timer || sending || !unsent) return;
    const delay = Math.max(0, lastSentAt + notifyIntervalMs - performance.now());
    timer = setTimeout(send, delay);
    timer.unref();
  }

  function send(): void {
    timer = undefined;
    if (!relay) return; // outboxWritten() schedules nothing before connect()
    unsent = false;
    sending = true;
    lastSentAt = performance.now();
    void relay
      .notifyOthers()
      .catch(() => undefined)
      .finally(() => {
        sending = false;
        schedule();
      });
  }

  const signal: OutboxSignal = {
    outboxWritten() {
      if (!relay) return;
      relay.wake();
      unsent = true;
      schedule();
    },
    connect(connected) {
      relay = connected;
    },
  };
  return signal;
}
