/** Lets a polling loop sleep until either a timeout or an explicit `wake()` (NOTIFY, stop). */
export class WakeSignal {
  private pending: (() => void) | undefined;
  private woken = false;

  wake(): void {
    this.woken = true;
    this.pending?.();
  }

  /** Resolves after `ms`, or earlier on `wake()`; a wake that came while busy is not lost. */
  async sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending = done;
    });
  }
}

/** Exponential backoff with full jitter (as kafkajs's retrier), capped at `maxMs`. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(minMs + Math.random() * (ceiling - minMs));
}
