// Issue 23 item 1: intake (tokens checked, as in production) against the Node floor
// (bench/floor-intake.ts) under the same load, rounds alternating so both see the same machine.
import { createMigratedDatabase } from '../test/support/database';
import type { LocalServices } from '../test/support/local-services';
import { describeSpread, ratioOf, startFloor, summarizeRounds, type RoundsSummary } from './floor';
import { intakeRound, postOrders } from './intake';
import { round, type LoadResult } from './measure';
import type { BenchStack } from './stack';

export interface IntakeAgainstFloor {
  service: RoundsSummary;
  floor: RoundsSummary;
  throughputRatio: number;
  p99Ratio: number;
}

/** The service's pool (DATABASE_POOL_SIZE's default), which the floor gets too. */
export const SERVICE_POOL_SIZE = 10;

/**
 * Load sent to each before the rounds, and not reported: a fresh service process spends its
 * first seconds compiling its hot code, connecting its pools and fetching Kafka metadata (its
 * first round was 25-35% slower than its second, where the floor showed no gap). The rounds
 * compare both warm; the same warm-up goes to the floor.
 */
export const WARM_UP_SECONDS = 2;

/**
 * `rounds` rounds each of `seconds` from `connections` connections, service then floor in turn.
 * The floor writes to a fresh migrated database of its own, so no relay publishes its rows
 * while it is measured (the service's relay is part of the service's figure).
 */
export async function intakeAgainstFloor(
  services: LocalServices,
  stack: BenchStack,
  sizes: { rounds: number; connections: number; seconds: number },
): Promise<IntakeAgainstFloor> {
  const database = await createMigratedDatabase(services.postgres.adminUrl, 'order_floor');
  const floor = await startFloor('floor-intake.ts', {
    DATABASE_URL: database.url,
    POOL_SIZE: String(SERVICE_POOL_SIZE),
  });
  const serviceRounds: Array<LoadResult & { non2xx: number }> = [];
  const floorRounds: typeof serviceRounds = [];
  try {
    await intakeRound(stack, sizes.connections, WARM_UP_SECONDS);
    await postOrders(`${floor.url}/api/v1/orders`, {}, sizes.connections, WARM_UP_SECONDS);
    for (let i = 0; i < sizes.rounds; i++) {
      serviceRounds.push(await intakeRound(stack, sizes.connections, sizes.seconds));
      floorRounds.push(
        await postOrders(`${floor.url}/api/v1/orders`, {}, sizes.connections, sizes.seconds),
      );
    }
  } finally {
    await floor.stop();
    await database.drop();
  }
  const service = summarizeRounds(serviceRounds);
  const floorSummary = summarizeRounds(floorRounds);
  return {
    service,
    floor: floorSummary,
    throughputRatio: ratioOf(service.perSecond.median, floorSummary.perSecond.median),
    p99Ratio: ratioOf(service.p99Ms.median, floorSummary.p99Ms.median),
  };
}

export function intakeFloorRows(figures: IntakeAgainstFloor, connections: number, seconds: number) {
  const { service, floor } = figures;
  const rounds = service.perSecond.rounds.length;
  const measure = `${connections} conns, ${rounds} × ${seconds} s each after ${WARM_UP_SECONDS} s of warm-up each, alternating`;
  return [
    {
      measure: `intake (HS256 tokens checked) vs Node floor: orders/s, ${measure}`,
      result: describeSpread(service.perSecond, '/s'),
      baseline: `floor (node:http + pg, same statement, pool ${SERVICE_POOL_SIZE}): ${describeSpread(floor.perSecond, '/s')}`,
      ratio: `${round(figures.throughputRatio, 2)}x (medians)`,
    },
    {
      measure: `intake vs Node floor: p99 latency, same rounds`,
      result: describeSpread(service.p99Ms, ' ms'),
      baseline: `floor: ${describeSpread(floor.p99Ms, ' ms')}`,
      ratio: `${round(figures.p99Ratio, 2)}x (medians)`,
    },
    ...(service.non2xx + floor.non2xx > 0
      ? [
          {
            measure: 'non-2xx answers in those rounds',
            result: String(service.non2xx),
            baseline: `floor ${floor.non2xx}`,
            ratio: '',
          },
        ]
      : []),
  ];
}
