import type { SagaRepository } from '../data-access/saga-repository';
import type { Logger } from '../shared/logger';
import type { Metrics } from '../shared/metrics';
import { WakeSignal } from '../shared/wake-signal';

export interface DeadlineSweeperOptions {
  intervalMs: number;
  batchSize: number;
}

export interface DeadlineSweeper {
  start(): void;
  stop(): Promise<void>;
  /** One pass now; returns how many orders it moved on. Used by tests and the loop. */
  sweepOnce(now?: Date): Promise<number>;
}

/**
 * Moves orders stuck past their step deadline through the transition table
 * (`deadline_passed`). Every instance may sweep: each order is claimed with
 * FOR UPDATE SKIP LOCKED and re-checked, so two sweepers never act on the same order.
 */
export function createDeadlineSweeper(
  { saga, metrics, logger }: { saga: SagaRepository; metrics: Metrics; logger: Logger },
  options: DeadlineSweeperOptions,
): DeadlineSweeper {
  const wake = new WakeSignal();
  let running = false;
  let loop: Promise<void> | undefined;

  async function sweepOnce(now = new Date()): Promise<number> {
    let moved = 0;
    for (const orderId of await saga.dueOrders(now, options.batchSize)) {
      const decision = await saga.expireIfDue(orderId, now);
      if (decision?.kind !== 'apply') continue;
      moved++;
      metrics.deadlinesExpired.inc({ status: decision.from });
      logger.info('order step deadline passed', {
        orderId,
        from: decision.from,
        to: decision.changes.status,
      });
    }
    return moved;
  }

  async function run(): Promise<void> {
    while (running) {
      try {
        await sweepOnce();
      } catch (error) {
        logger.warn('deadline sweep failed; will retry', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      await wake.sleep(options.intervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake.wake();
      await loop;
    },
    sweepOnce,
  };
}
