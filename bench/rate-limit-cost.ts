// What intake's rate limit costs as production runs it. The bench's other rows run with the
// limit off (it is one customer, and a limit would refuse its load); production counts every
// order on the shared counter (one upsert, or one for a batch of concurrent hits of the same
// caller). Two fresh stacks, one with the limit set so high that nothing is refused but every
// order is counted, the same load alternating between them.
import type { LocalServices } from '../test/support/local-services';
import { describeSpread, ratioOf, summarizeRounds, type RoundsSummary } from './floor';
import { intakeRound } from './intake';
import { WARM_UP_SECONDS } from './intake-floor';
import { round } from './measure';
import { startBenchStack } from './stack';

type Round = Awaited<ReturnType<typeof intakeRound>>;

/** Far above the bench's load: every order is counted, none refused. */
const NEVER_REACHED_PER_MINUTE = 1_000_000_000;

export interface RateLimitCost {
  counted: RoundsSummary;
  off: RoundsSummary;
  ratio: number;
}

export async function rateLimitCost(
  services: LocalServices,
  sizes: { rounds: number; connections: number; seconds: number },
): Promise<RateLimitCost> {
  const off = await startBenchStack(services, {}, 1);
  const counted = await startBenchStack(
    services,
    { RATE_LIMIT_PER_MINUTE: String(NEVER_REACHED_PER_MINUTE) },
    1,
  );
  const results: Record<'off' | 'counted', Round[]> = { off: [], counted: [] };
  try {
    await intakeRound(off, sizes.connections, WARM_UP_SECONDS);
    await intakeRound(counted, sizes.connections, WARM_UP_SECONDS);
    for (let i = 0; i < sizes.rounds; i++) {
      results.off.push(await intakeRound(off, sizes.connections, sizes.seconds));
      results.counted.push(await intakeRound(counted, sizes.connections, sizes.seconds));
    }
  } finally {
    await Promise.all([off.stop(), counted.stop()]);
  }
  const figures = {
    off: summarizeRounds(results.off),
    counted: summarizeRounds(results.counted),
  };
  return {
    ...figures,
    ratio: ratioOf(figures.counted.perSecond.median, figures.off.perSecond.median),
  };
}

export function rateLimitCostRows(figures: RateLimitCost, connections: number, seconds: number) {
  const { counted, off } = figures;
  const rounds = counted.perSecond.rounds.length;
  return [
    {
      measure: `intake with every order counted by the rate limit, as in production (none refused): orders/s, ${connections} conns, ${rounds} × ${seconds} s each after ${WARM_UP_SECONDS} s of warm-up each, alternating`,
      result: `${describeSpread(counted.perSecond, '/s')}; p99 ${describeSpread(counted.p99Ms, ' ms')}; non-2xx ${counted.non2xx}`,
      baseline: `same load, limit off: ${describeSpread(off.perSecond, '/s')}; p99 ${describeSpread(off.p99Ms, ' ms')}`,
      ratio: `${round(figures.ratio, 2)}x (medians)`,
    },
  ];
}
