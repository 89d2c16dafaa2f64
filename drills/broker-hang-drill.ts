// Drill 2: the broker frozen (SIGSTOP) under load. Intake keeps answering 202 (orders wait in
// the outbox), the producer's breaker opens and closes again after the thaw, the backlog drains.
// Intake needs no broker: 90 % of the orders must be accepted, in the freeze too (its own rule
// besides: only 202s in it).
import type { DrillStack } from './drill-stack';
import { underLoad, sleep, type Drill } from './drill';
import { kafkaSides, type BreakerState } from './instance-readiness';

async function breakerStates(stack: DrillStack): Promise<BreakerState[]> {
  return (await kafkaSides(stack)).map((side) => side.breaker);
}

export const brokerHangDrill: Drill = {
  name: 'broker hang (SIGSTOP)',
  async run(context) {
    const frozenMs = Number(
      process.env.DRILL_FREEZE_MS ?? (context.mode === 'long' ? 30_000 : 40_000),
    );
    return underLoad(
      this.name,
      context,
      { ordersPerSecond: 20, minAcceptedShare: 0.9, settleTimeoutMs: 180_000 },
      async (stack, load) => {
        const broker = stack.services.kafka.broker;
        if (!broker)
          throw new Error('the broker hang drill needs a broker of its own (unset KAFKA_BROKERS)');
        await sleep(5_000);
        const before = { ...load.progress().answers };
        const acceptedBefore = load.progress().accepted.length;
        const frozenAt = performance.now();
        let openedAfter: number | undefined;
        const seen = new Set<string>();
        context.log(`broker hang: SIGSTOP for ${frozenMs / 1_000} s`);
        broker.freeze();
        try {
          while (performance.now() - frozenAt < frozenMs) {
            const states = await breakerStates(stack);
            for (const state of states) seen.add(state);
            if (openedAfter === undefined && states.includes('open'))
              openedAfter = performance.now() - frozenAt;
            await sleep(500);
          }
        } finally {
          broker.thaw();
        }
        const acceptedFrozen = load.progress().accepted.length - acceptedBefore;
        const answers = load.progress().answers;
        const refused = Object.entries(answers)
          .filter(([status]) => status !== '202')
          .map(([status, count]) => `${count - (before[status] ?? 0)} × ${status}`)
          .filter((entry) => !entry.startsWith('0 ×'));
        const thawedAt = performance.now();
        let closedAfter: number | undefined;
        while (performance.now() - thawedAt < 120_000) {
          if ((await breakerStates(stack)).every((state) => state === 'closed')) {
            closedAfter = performance.now() - thawedAt;
            break;
          }
          await sleep(500);
        }
        await sleep(3_000);
        const violations: string[] = [];
        if (acceptedFrozen === 0) violations.push('no order accepted while the broker was frozen');
        if (refused.length > 0)
          violations.push(`while frozen, intake answered ${refused.join(', ')}`);
        if (openedAfter === undefined)
          violations.push(`the breaker never opened (seen: ${[...seen].join(', ')})`);
        if (closedAfter === undefined)
          violations.push('the breaker did not close within 120 s of the thaw');
        const seconds = (ms: number | undefined) =>
          ms === undefined ? 'never' : `${(ms / 1_000).toFixed(0)} s`;
        return {
          faults: `broker SIGSTOP ${frozenMs / 1_000} s; ${acceptedFrozen} orders accepted meanwhile`,
          recovery: `breaker open ${seconds(openedAfter)} into the freeze, closed ${seconds(closedAfter)} after the thaw`,
          violations,
        };
      },
    );
  },
};
