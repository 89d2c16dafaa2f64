import { errorMessage } from './app-error';
import type { Logger } from './logger';
import { backoffDelay, sleep } from './retry';

/** What one step of a loop found: more work right away, or nothing until the next interval. */
export type StepResult = 'busy' | 'idle';

export interface BackgroundLoopOptions {
  /** For the log lines. */
  name: string;
  /** One unit of work; `signal` aborts when the loop stops. */
  step: (signal: AbortSignal) => Promise<StepResult>;
  /** Pause after an idle step, cut short by `wake()`. */
  idleMs: number;
  /** Backoff after a failed step, exponential with jitter; `wake()` does not cut it short. */
  retryMinMs: number;
  retryMaxMs: number;
  logger: Logger;
}

export interface BackgroundLoop {
  start(): void;
  /** Ends the idle pause early (e.g. a NOTIFY): the next step runs now, unless backing off. */
  wake(): void;
  /** Aborts waits, lets the step in flight finish, and resolves once the loop has ended. */
  stop(): Promise<void>;
}

/**
 * The one background loop: the outbox relay and the deadline sweeper run on it. A failing step
 * backs off, and keeps backing off while it keeps failing, whatever wakes arrive: during an
 * outage, every new order's NOTIFY used to cut the relay's backoff short.
 */
export function createBackgroundLoop(options: BackgroundLoopOptions): BackgroundLoop {
  const stopping = new AbortController();
  let idle: AbortController | undefined;
  let woken = false;
  let loop: Promise<void> | undefined;

  async function pauseUntilWoken(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return;
    }
    idle = new AbortController();
    await sleep(ms, AbortSignal.any([idle.signal, stopping.signal]));
    idle = undefined;
    woken = false;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const result = await options.step(stopping.signal);
        failures = 0;
        if (result === 'idle') await pauseUntilWoken(options.idleMs);
      } catch (error) {
        const delayMs = backoffDelay(failures++, options.retryMinMs, options.retryMaxMs);
        options.logger.warn(`${options.name} failed; retrying`, {
          error: errorMessage(error),
          attempt: failures,
          delayMs,
        });
        await sleep(delayMs, stopping.signal);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    wake() {
      woken = true;
      idle?.abort();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
