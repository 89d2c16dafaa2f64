/** What one coalesced call learns: the batch's result, how many calls it held, and its own place. */
export interface CoalescedResult<T> {
  result: T;
  /** Calls sent together in the batch (at least 1). */
  count: number;
  /** This call's place in the batch, 0 first, in the order the calls were made. */
  index: number;
}

interface Waiter<T> {
  resolve: (value: CoalescedResult<T>) => void;
  reject: (error: unknown) => void;
}

interface Lane<A, T> {
  args: A;
  waiting: Waiter<T>[];
  busy: boolean;
}

/**
 * Sends at most one call per key at a time. The first call is sent at once; calls for the same
 * key made while it runs wait, and are then sent as one, with their count. So a hot key costs
 * one round trip per round trip's worth of calls instead of one each, and nothing waits when a
 * key is quiet. A failed batch fails every call in it.
 */
export function coalescedCalls<A, T>(
  keyOf: (args: A) => string,
  send: (args: A, count: number) => Promise<T>,
): (args: A) => Promise<CoalescedResult<T>> {
  const lanes = new Map<string, Lane<A, T>>();

  const sendWaiting = (key: string, lane: Lane<A, T>) => {
    const batch = lane.waiting;
    lane.waiting = [];
    lane.busy = true;
    void new Promise<T>((resolve) => resolve(send(lane.args, batch.length)))
      .then(
        (result) =>
          batch.forEach((waiter, index) => waiter.resolve({ result, count: batch.length, index })),
        (error: unknown) => batch.forEach((waiter) => waiter.reject(error)),
      )
      .finally(() => {
        lane.busy = false;
        if (lane.waiting.length > 0) sendWaiting(key, lane);
        else lanes.delete(key);
      });
  };

  return (args) =>
    new Promise((resolve, reject) => {
      const key = keyOf(args);
      let lane = lanes.get(key);
      if (!lane) {
        lane = { args, waiting: [], busy: false };
        lanes.set(key, lane);
      }
      lane.waiting.push({ resolve, reject });
      if (!lane.busy) sendWaiting(key, lane);
    });
}
