import { createOutboxSignal } from '../../../src/workers/outbox-signal';

/** A relay that counts its wake-ups and notifications; `release()` answers the notify in flight. */
function countingRelay() {
  const relay = { wakes: 0, notifies: 0, pending: [] as Array<() => void> };
  return {
    relay,
    connected: {
      wake: () => void relay.wakes++,
      notifyOthers: () => {
        relay.notifies++;
        return new Promise<void>((resolve) => relay.pending.push(resolve));
      },
    },
    release: () => relay.pending.splice(0).forEach((resolve) => resolve()),
  };
}

describe('outbox signal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('when a write is signalled after a quiet spell, then the relay here wakes at once and the other instances are told without waiting for the interval', async () => {
    const signal = createOutboxSignal({ notifyIntervalMs: 50 });
    const { relay, connected } = countingRelay();
    signal.connect(connected);

    signal.outboxWritten();

    expect(relay.wakes).toBe(1);
    await jest.advanceTimersByTimeAsync(0);
    expect(relay.notifies).toBe(1);
  });

  test('when writes keep coming, then every one wakes the relay here but at most one notification goes out per interval, and the last write is always told', async () => {
    const signal = createOutboxSignal({ notifyIntervalMs: 50 });
    const { relay, connected, release } = countingRelay();
    signal.connect(connected);

    // 1,000 writes, one per 0.2 ms: 200 ms of them.
    for (let i = 0; i < 1_000; i++) {
      signal.outboxWritten();
      await jest.advanceTimersByTimeAsync(0.2);
      release();
    }
    await jest.advanceTimersByTimeAsync(60);
    release();

    expect(relay.wakes).toBe(1_000);
    // One at once, then one per 50 ms window that saw writes, the last one after the last write.
    expect(relay.notifies).toBeGreaterThanOrEqual(4);
    expect(relay.notifies).toBeLessThanOrEqual(6);
    const notifiesAfterLastWrite = relay.notifies;
    await jest.advanceTimersByTimeAsync(500);
    expect(relay.notifies).toBe(notifiesAfterLastWrite);
  });

  test('when a notification is slow to send, then no second one is sent beside it, and the writes meanwhile are told after it', async () => {
    const signal = createOutboxSignal({ notifyIntervalMs: 5 });
    const { relay, connected, release } = countingRelay();
    signal.connect(connected);

    signal.outboxWritten();
    await jest.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 10; i++) {
      signal.outboxWritten();
      await jest.advanceTimersByTimeAsync(20);
    }
    expect(relay.notifies).toBe(1);

    release();
    await jest.advanceTimersByTimeAsync(0);
    expect(relay.notifies).toBe(2);
  });

  test('when the relay is not connected yet, then a write is a no-op rather than an error', () => {
    const signal = createOutboxSignal({ notifyIntervalMs: 5 });

    expect(() => signal.outboxWritten()).not.toThrow();
  });

  test('when the notification fails, then the write path never sees the error and later writes are still told', async () => {
    const signal = createOutboxSignal({ notifyIntervalMs: 5 });
    let attempts = 0;
    signal.connect({
      wake: () => undefined,
      notifyOthers: async () => {
        attempts++;
        throw new Error('connection lost');
      },
    });

    signal.outboxWritten();
    await jest.advanceTimersByTimeAsync(10);
    signal.outboxWritten();
    await jest.advanceTimersByTimeAsync(10);

    expect(attempts).toBe(2);
  });
});
