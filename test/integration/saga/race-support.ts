/**
 * What the race tests share: two service instances on one database, topic set and consumer
 * group (as in production), exact peer replies, and waits on what the consumers processed.
 * Not a test file itself.
 */
import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import { createTestDatabase } from '../../support/database';
import {
  aValidOrder,
  postOrder,
  readJson,
  startJoinedOrderService,
  testConfig,
} from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { waitFor } from '../../support/wait-for';
import { sagaStories, type SagaStory } from './saga-story';

export const TOTAL = 5_048; // aValidOrder's total

/** How long a round may wait for what it sent to be processed. */
export const ROUND_WAIT_MS = 15_000;

export interface TwoInstances {
  instances: [RunningService, RunningService];
  events: PeerEvents;
  /** A plain pg client on their database, for asserting what was stored. */
  sql: Client;
  stop(): Promise<void>;
}

export async function startTwoInstances(env: Record<string, string>): Promise<TwoInstances> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...env });
  const sql = new Client({ connectionString: database.url });
  await sql.connect();
  const starting = startPeerEvents(
    config.KAFKA_BROKERS,
    config.SCHEMA_REGISTRY_URL,
    config.KAFKA_TOPIC_PREFIX,
  );
  // One after the other, as in a rolling start (see deadlines.test.ts).
  const first = await startJoinedOrderService(config);
  const second = await startJoinedOrderService(config);
  const events = await starting;
  return {
    instances: [first, second],
    events,
    sql,
    async stop() {
      await events.stop();
      await Promise.allSettled([first.stop(), second.stop()]);
      await sql.end();
      await database.drop();
    },
  };
}

/** Places `count` orders at once, alternating between the services; returns their ids. */
export async function placeOrdersOn(
  services: readonly RunningService[],
  count: number,
  customerId: string,
): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, n) => {
      const service = services[n % services.length] as RunningService;
      const response = await postOrder(service.http.url, aValidOrder({ customerId }));
      if (response.status !== 202) throw new Error(`POST order: ${response.status}`);
      return (await readJson(response)).id as string;
    }),
  );
}

/** Waits until every one of these events is in processed_events (applied, ignored...). */
export async function waitForEventsProcessed(
  sql: Client,
  eventIds: readonly string[],
  what: string,
): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM processed_events WHERE event_id = ANY($1)',
        [[...eventIds]],
      );
      return rows[0]?.n === eventIds.length;
    },
    { timeoutMs: ROUND_WAIT_MS, intervalMs: 50, message: what },
  );
}

/** Runs `work` at `time` (epoch ms); resolves with when it started and what it returned. */
export async function at<T>(time: number, work: () => Promise<T>): Promise<[number, T]> {
  await new Promise((resolve) => setTimeout(resolve, time - Date.now()));
  const startedAt = Date.now();
  return [startedAt, await work()];
}

/** The outbox rows of these orders on one topic. */
export async function outboxPayloads(
  sql: Client,
  orderIds: readonly string[],
  topic: string,
): Promise<{ order_id: string; payload: Record<string, unknown> }[]> {
  const { rows } = await sql.query(
    'SELECT order_id, payload FROM outbox WHERE order_id = ANY($1) AND topic = $2 ORDER BY id',
    [[...orderIds], topic],
  );
  return rows;
}

/** Rounds a race runs: until both sides won at least once, and at least MIN_ROUNDS. */
export const MIN_ROUNDS = 3;
export const MAX_ROUNDS = 5;

/** Where a round sends its pairs: offsets spread evenly over center ± spread (ms). */
export interface Aim {
  center: number;
  spread: number;
}

/** What a round raced for one order: its offset is what the round aimed at, as it happened. */
export interface Raced {
  orderId: string;
  offset: number;
}

/**
 * Runs `race` in rounds aimed at the offset where either side may win. The first round, wide,
 * finds it (it depends on the broker's and the machine's latency); each later round aims
 * between the largest offset at which the early side (the one that needs the smaller offset)
 * won and the smallest at which it lost, ±25 ms, where the two transactions meet. Returns every
 * round's orders.
 */
export async function raceInRounds<R extends Raced>(
  sql: Client,
  first: Aim,
  race: (aim: Aim) => Promise<R[]>,
  earlySideWon: (story: SagaStory) => boolean,
): Promise<R[]> {
  const raced: R[] = [];
  const seen = { won: 0, lost: 0 };
  let aim = first;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (round >= MIN_ROUNDS && seen.won > 0 && seen.lost > 0) break;
    const results = await race(aim);
    raced.push(...results);
    const stories = await sagaStories(
      sql,
      results.map((r) => r.orderId),
    );
    const offsetOf = new Map(results.map((r) => [r.orderId, r.offset]));
    const offsets = (won: boolean) =>
      stories.filter((s) => earlySideWon(s) === won).map((s) => offsetOf.get(s.orderId) as number);
    const [won, lost] = [offsets(true), offsets(false)];
    seen.won += won.length;
    seen.lost += lost.length;
    if (won.length === 0) aim = { ...aim, center: aim.center - aim.spread };
    else if (lost.length === 0) aim = { ...aim, center: aim.center + aim.spread };
    else aim = { center: (Math.max(...won) + Math.min(...lost)) / 2, spread: 25 };
  }
  return raced;
}
