import { errorMessage } from './app-error';

/**
 * Retrying, written once (as kafkajs's `src/retry`): exponential backoff with full jitter,
 * abortable, and only for errors that say trying again can help.
 */
export interface RetryOptions {
  minMs: number;
  maxMs: number;
  /** Attempts after the first; unbounded when absent. */
  retries?: number;
  /** Which failures to retry; the rest are thrown at once. Default: all. */
  isRetriable?: (error: unknown) => boolean;
  /** Stops waiting: the last error is thrown. */
  signal?: AbortSignal;
  onRetry?: (info: { error: unknown; attempt: number; delayMs: number; message: string }) => void;
}

/**
 * The longest wait before retry `attempt` (from 0): doubling from `minMs`, capped at `maxMs`.
 * The one backoff formula: the retries draw below it, and the breaker's rule on its rolling
 * window (src/config/breaker.ts) adds it up for the slowest case.
 */
export function backoffCeiling(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
}

/** Exponential backoff with full jitter, capped at `maxMs`; `attempt` counts from 0. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  return Math.round(minMs + Math.random() * (backoffCeiling(attempt, minMs, maxMs) - minMs));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function retry<T>(
  task: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { minMs, maxMs, retries = Infinity, isRetriable = () => true, signal, onRetry } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= retries || !isRetriable(error) || signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, minMs, maxMs);
      onRetry?.({ error, attempt: attempt + 1, delayMs, message: errorMessage(error) });
      await sleep(delayMs, signal);
      if (signal?.aborted) throw error;
    }
  }
}
