// Drill 4: the run's Postgres stopped and started again (same data directory, same port) under
// load. While it is down the API must answer 503 with Retry-After (the shared check) within a
// bound, never hang; the consumer must pause rather than dead-letter; everything must resume by
// itself, with no instance restarted by hand. Outside the outage (and 5 s after it, load.ts),
// 80 % of the orders must be accepted: less than elsewhere, for the pools' reconnection.
import { underLoad, sleep, type Drill } from './drill';

/**
 * DATABASE_CONNECT_TIMEOUT_MS plus DATABASE_STATEMENT_TIMEOUT_MS (5 s each by default) plus room
 * for a loaded 2-core box: no answer, 202 or 503, may take longer than this.
 */
const ANSWER_BOUND_MS = 15_000;

export const databaseRestartDrill: Drill = {
  name: 'database restart',
  async run(context) {
    const downMs = context.mode === 'long' ? 30_000 : 10_000;
    const restarts = context.mode === 'long' ? 3 : 1;
    return underLoad(
      this.name,
      context,
      {
        ordersPerSecond: 15,
        minAcceptedShare: 0.8,
        settleTimeoutMs: 180_000,
        noDeadLetters: true,
      },
      async (stack, load) => {
        const postgres = stack.services.postgres.embedded;
        if (!postgres)
          throw new Error(
            'the database restart drill needs a Postgres of its own (unset DATABASE_URL)',
          );
        const unavailableBefore = load.progress().answers['503'] ?? 0;
        for (let i = 0; i < restarts; i++) {
          await sleep(5_000);
          context.log(`database restart: Postgres down for ${downMs / 1_000} s`);
          await load.fault(async () => {
            await postgres.halt();
            try {
              await sleep(downMs);
            } finally {
              await postgres.start();
            }
          });
        }
        await sleep(10_000); // load on the restarted database before it stops
        const report = load.progress();
        const unavailable = (report.answers['503'] ?? 0) - unavailableBefore;
        const violations: string[] = [];
        if (unavailable === 0) violations.push('no 503 while the database was down');
        if (report.slowestMs > ANSWER_BOUND_MS)
          violations.push(
            `an answer took ${(report.slowestMs / 1_000).toFixed(1)} s (bound ${ANSWER_BOUND_MS / 1_000} s)`,
          );
        for (const instance of stack.instances)
          if (!instance.isUp())
            violations.push(`${instance.name} exited: ${instance.output().slice(-300)}`);
        return {
          faults: `${restarts} × Postgres stopped ${downMs / 1_000} s and started; ${unavailable} × 503, slowest answer ${(report.slowestMs / 1_000).toFixed(1)} s`,
          violations,
        };
      },
    );
  },
};
