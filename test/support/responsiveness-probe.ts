import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface Responsiveness {
  /** Longest the event loop was held, in ms (perf_hooks' histogram, 10 ms resolution). */
  maxLoopDelayMs: number;
  /** Slowest answer of the polled URL, in ms, and how many answered. */
  maxAnswerMs: number;
  answers: number;
}

/**
 * Watches the event loop of this process (where an in-process service runs) and polls a URL
 * (its /health) every `everyMs`, until stopped: a walk that holds the loop shows in both.
 */
export function startResponsivenessProbe(url: string, everyMs = 25) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let maxAnswerMs = 0;
  let answers = 0;
  let running = true;
  let failure: unknown;
  const polling = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(url);
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      maxAnswerMs = Math.max(maxAnswerMs, performance.now() - started);
      answers++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    async stop(): Promise<Responsiveness> {
      running = false;
      await polling;
      loop.disable();
      if (failure) throw failure;
      return { maxLoopDelayMs: loop.max / 1e6, maxAnswerMs, answers };
    },
  };
}
