/**
 * At most `limit` holders at once; later callers wait their turn in arrival order, and past
 * `maxWaiting` waiting callers one is turned away at once, so a burst queues briefly instead of
 * piling up without bound.
 */
export interface ConcurrencyGate {
  /** The function that frees the place (safe to call twice), or undefined: too many wait. */
  enter(): Promise<(() => void) | undefined>;
  /** Holders and waiters now. */
  load(): { running: number; waiting: number };
}

export function createConcurrencyGate(limit: number, maxWaiting: number): ConcurrencyGate {
  let running = 0;
  const waiting: Array<() => void> = [];
  const leave = () => {
    const next = waiting.shift();
    // The place passes straight to the next waiter: `running` stays counted for it.
    if (next) next();
    else running -= 1;
  };
  const once = () => {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      leave();
    };
  };
  return {
    async enter() {
      if (running < limit) {
        running += 1;
        return once();
      }
      if (waiting.length >= maxWaiting) return undefined;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return once();
    },
    load: () => ({ running, waiting: waiting.length }),
  };
}
