// Issue 23 item 4: latency at fixed offered rates (open loop). Requests leave on a fixed
// schedule whatever the answers do, and each latency is counted from its scheduled send, so a
// slow answer cannot hold back the next request (closed-loop connections would: coordinated
// omission). Accepted → CONFIRMED comes from the database's own timestamps of each accepted order.
import { request, Agent } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'pg';
import type { LocalServices } from '../test/support/local-services';
import { waitFor } from '../test/support/wait-for';
import { ratioOf } from './floor';
import { startFloorStack } from './saga-floor';
import { ORDER_BODY } from './intake';
import { percentiles, round, type Percentiles } from './measure';
import { startInstantPeers } from './saga';
import type { BenchStack } from './stack';

export interface OpenLoopRun {
  offeredPerSecond: number;
  sent: number;
  accepted: number;
  /** Answered 503 `overloaded` (load shedding: HTTP_MAX_CONCURRENT_REQUESTS at work). */
  shed: number;
  /** POST, from its scheduled send to the answer's end: every answer. */
  post: Percentiles;
  /** The same, of the accepted (202) answers only: what a customer whose order was taken waited. */
  acceptedPost: Percentiles;
  /** Accepted (orders.created_at) → CONFIRMED history row; undefined where nothing confirms. */
  confirm?: Percentiles;
  /** Samples dropped as negative (clock skew guard); 0 expected, as both ends use one clock. */
  negativeSamples: number;
  /**
   * The generator's own event-loop delay, p99: this process also runs the simulated peers, and
   * a late generator sends late and reads answers late, which the latencies above then count.
   */
  generatorDelayP99Ms: number;
}

function postOnce(agent: Agent, url: URL, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(ORDER_BODY);
  });
}

/** POSTs at `rate` per second for `seconds`; returns latencies and the accepted order ids. */
export async function offer(
  url: string,
  auth: Record<string, string>,
  rate: number,
  seconds: number,
) {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const headers = { 'content-type': 'application/json', ...auth };
  const target = new URL(`${url}/api/v1/orders`);
  const total = Math.max(1, Math.round(rate * seconds));
  const t0 = performance.now();
  const latencies: number[] = [];
  const acceptedLatencies: number[] = [];
  const ids: string[] = [];
  let negatives = 0;
  let shed = 0;
  const pending: Promise<void>[] = [];
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  for (let i = 0; i < total; i++) {
    const scheduled = t0 + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // From the scheduled time (a late send's wait counts: no coordinated omission), or from the
    // send itself when it went early (a timer waking up to a millisecond early, or a wait under
    // one): a fast answer to an early send was a negative sample, not a negative latency.
    const from = Math.min(scheduled, performance.now());
    pending.push(
      postOnce(agent, target, headers).then(
        ({ status, body }) => {
          const ms = performance.now() - from;
          if (ms < 0) negatives++;
          else latencies.push(ms);
          if (status === 202) {
            ids.push((JSON.parse(body) as { id: string }).id);
            if (ms >= 0) acceptedLatencies.push(ms);
          }
          if (status === 503 && body.includes('/problems/overloaded')) shed++;
        },
        () => undefined, // counted as not accepted
      ),
    );
  }
  await Promise.all(pending);
  delay.disable();
  agent.destroy();
  const generatorDelayP99Ms = delay.percentile(99) / 1e6;
  return { sent: total, latencies, acceptedLatencies, ids, negatives, shed, generatorDelayP99Ms };
}

/** Accepted → CONFIRMED per order (database clock at both ends), once all are CONFIRMED. */
export async function confirmLatencies(databaseUrl: string, ids: string[]) {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const sql = `SELECT extract(epoch FROM h.created_at - o.created_at) * 1000 AS ms
    FROM orders o JOIN order_status_history h ON h.order_id = o.id AND h.to_status = 'CONFIRMED'
    WHERE o.id = ANY($1::uuid[])`;
  try {
    const rows = await waitFor(
      async () => {
        const result = await pool.query<{ ms: number }>(sql, [ids]);
        return result.rows.length >= ids.length ? result.rows : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 200, message: `${ids.length} orders CONFIRMED` },
    );
    const samples = rows.map((r) => Number(r.ms));
    return {
      samples: samples.filter((ms) => ms >= 0),
      negatives: samples.filter((ms) => ms < 0).length,
    };
  } finally {
    await pool.end();
  }
}

/** One side's run at one offered rate, as the rows report it. */
function summarise(
  offeredPerSecond: number,
  run: Awaited<ReturnType<typeof offer>>,
  confirmed: Awaited<ReturnType<typeof confirmLatencies>>,
): OpenLoopRun {
  return {
    offeredPerSecond,
    sent: run.sent,
    accepted: run.ids.length,
    shed: run.shed,
    post: percentiles(run.latencies),
    acceptedPost: percentiles(run.acceptedLatencies),
    confirm: percentiles(confirmed.samples),
    negativeSamples: run.negatives + confirmed.negatives,
    generatorDelayP99Ms: run.generatorDelayP99Ms,
  };
}

export async function openLoopAgainstFloor(
  services: LocalServices,
  stack: BenchStack,
  maxPerSecond: number,
  seconds: number,
) {
  const fractions = [0.25, 0.5, 0.75];
  const service: OpenLoopRun[] = [];
  const floor: OpenLoopRun[] = [];
  const peers = await startInstantPeers(stack);
  const floorStack = await startFloorStack(services, stack);
  const sides = [
    {
      url: stack.serviceUrl,
      auth: stack.authorization,
      databaseUrl: stack.databaseUrl,
      runs: service,
    },
    { url: floorStack.intake.url, auth: {}, databaseUrl: floorStack.databaseUrl, runs: floor },
  ];
  /** One side at one rate: every POST sent and answered, every accepted order CONFIRMED. */
  const runAt = async (side: (typeof sides)[number], rate: number, forSeconds: number) => {
    const run = await offer(side.url, side.auth, rate, forSeconds);
    return summarise(rate, run, await confirmLatencies(side.databaseUrl, run.ids));
  };
  try {
    // A fresh process's first seconds (compiling, the first metadata and registry look-ups) are
    // not what a rate costs: each side first takes the lowest rate for up to 2 s, its orders
    // confirmed before the rows start, none of it reported (as the intake rows' warm-up).
    const warmUpRate = Math.max(1, maxPerSecond * (fractions[0] as number));
    for (const side of sides) await runAt(side, warmUpRate, Math.min(2, seconds));
    for (const fraction of fractions) {
      const rate = Math.max(1, maxPerSecond * fraction);
      for (const side of sides) side.runs.push(await runAt(side, rate, seconds));
    }
  } finally {
    await floorStack.stop();
    await peers.stop();
  }
  return { maxPerSecond, fractions, service, floor };
}

export function openLoopRows(
  figures: Awaited<ReturnType<typeof openLoopAgainstFloor>>,
  seconds: number,
) {
  const ms = (value: number) => `${round(value, 1)} ms`;
  return figures.service.map((run, i) => {
    const floor = figures.floor[i] as OpenLoopRun;
    const fraction = figures.fractions[i] as number;
    const confirm = run.confirm as Percentiles;
    const floorConfirm = floor.confirm as Percentiles;
    return {
      measure: `open loop at ${fraction * 100}% of intake's median max (${round(run.offeredPerSecond, 0)}/s offered, ${seconds} s): POST from scheduled send; accepted → CONFIRMED`,
      result: `accepted POST p50 ${ms(run.acceptedPost.p50Ms)}, p99 ${ms(run.acceptedPost.p99Ms)} (${run.accepted}/${run.sent} accepted, ${run.shed} shed; every answer p99 ${ms(run.post.p99Ms)}); CONFIRMED p50 ${ms(confirm.p50Ms)}, p99 ${ms(confirm.p99Ms)}; ${run.negativeSamples} negative samples dropped; the generator's event-loop delay p99 ${ms(run.generatorDelayP99Ms)}`,
      baseline: `floor accepted POST p50 ${ms(floor.acceptedPost.p50Ms)}, p99 ${ms(floor.acceptedPost.p99Ms)} (${floor.accepted}/${floor.sent}); CONFIRMED p50 ${ms(floorConfirm.p50Ms)}, p99 ${ms(floorConfirm.p99Ms)}; ${floor.negativeSamples} negative dropped; generator delay p99 ${ms(floor.generatorDelayP99Ms)}`,
      ratio: `${round(ratioOf(run.acceptedPost.p99Ms, floor.acceptedPost.p99Ms), 2)}x accepted POST p99, ${round(ratioOf(confirm.p99Ms, floorConfirm.p99Ms), 2)}x CONFIRMED p99`,
    };
  });
}
