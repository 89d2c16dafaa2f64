import { expireDeadlines } from '../domain/expire-deadlines-use-case';
import type { SagaStore } from '../domain/saga-store';
import type { StepTimeouts } from '../domain/saga-transitions';
import { createBackgroundLoop } from '../shared/background-loop';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';

export interface DeadlineSweeperOptions {
  intervalMs: number;
  batchSize: number;
  retryMinMs: number;
  retryMaxMs: number;
}

export interface DeadlineSweeper {
  start(): void;
  stop(): Promise<void>;
  /** One pass now; returns how many orders it moved on. Used by tests and the loop. */
  sweepOnce(now?: Date): Promise<number>;
}

/**
 * Moves orders stuck past their step deadline through the transition table
 * (`deadline_passed`, domain/expire-deadlines-use-case.ts), every `intervalMs`, and at once
 * again while a pass fills its batch. Every instance may sweep: orders another instance holds
 * are skipped, so two sweepers never act on the same order.
 */
export function createDeadlineSweeper(
  {
    saga,
    timeouts,
    metrics,
    logger,
  }: { saga: SagaStore; timeouts: StepTimeouts; metrics: Metrics; logger: Logger },
  options: DeadlineSweeperOptions,
): DeadlineSweeper {
  async function sweepOnce(now = new Date()): Promise<number> {
    const expired = await expireDeadlines({ saga, timeouts }, now, options.batchSize);
    for (const { orderId, from, to } of expired) {
      metrics.deadlinesExpired.inc({ status: from });
      logger.info('order step deadline passed', { orderId, from, to });
    }
    return expired.length;
  }

  const loop = createBackgroundLoop({
    name: 'deadline sweep',
    step: async () => ((await sweepOnce()) >= options.batchSize ? 'busy' : 'idle'),
    idleMs: options.intervalMs,
    retryMinMs: options.retryMinMs,
    retryMaxMs: options.retryMaxMs,
    logger,
  });
  return { start: loop.start, stop: loop.stop, sweepOnce };
}
