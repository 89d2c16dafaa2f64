// The console's bench row (issue 21 item 8): with the seeded volume, the p95 of every console
// API call from one operator, then the API's POST latency alone and while operators use the
// console hard (several clients looping over its heaviest reads). The load and the timing run
// in this process; the service is a child process with its own pools (the console's is its own).
import { mintToken, operatorToken } from '../test/support/auth-tokens';
import { seedConsoleVolume, type SeededVolume } from './console-seed';
import { percentiles, round, timedLoop, type LoadResult, type Percentiles } from './measure';
import { postOrder } from './scenarios';
import type { BenchStack } from './stack';

export interface ConsoleBenchSizes {
  orders: number;
  deadLetters: number;
  /** Calls per console endpoint. */
  calls: number;
  /** Seconds of POST load, alone and beside the console load. */
  seconds: number;
}

export interface ConsoleCall extends Percentiles {
  name: string;
  path: string;
  status: number;
}

export interface ConsoleBench {
  volume: SeededVolume;
  calls: ConsoleCall[];
  postAlone: LoadResult;
  /** Beside console clients served the shared reads (CONSOLE_SUMMARY_MAX_AGE_SECONDS). */
  postBesideConsole: LoadResult;
  consoleCallsDuringLoad: number;
  /** Beside console clients whose every read is computed afresh (the setting at 0). */
  postBesideFreshConsole: LoadResult;
  freshConsoleCallsDuringLoad: number;
}

/** Console clients looping during the second POST window: "heavy use" by a few operators. */
const CONSOLE_CLIENTS = 6;
const POST_CLIENTS = 4;

export async function consoleBench(
  stack: BenchStack,
  sizes: ConsoleBenchSizes,
): Promise<ConsoleBench> {
  const volume = await seedConsoleVolume(stack.databaseUrl, sizes.orders, sizes.deadLetters);
  const headers = { authorization: `Bearer ${await operatorToken('bench-operator')}` };
  const viewer = {
    authorization: `Bearer ${await mintToken('bench-viewer', { roles: ['viewer'] })}`,
  };
  // The built service must ship the pages (npm run build copies them): fail loudly if not.
  for (const asset of ['', 'console.js', 'pages/journey.js']) {
    const response = await fetch(`${stack.adminUrl}/console/${asset}`);
    await response.arrayBuffer();
    if (response.status !== 200) {
      throw new Error(`the built service answers ${response.status} for /console/${asset}`);
    }
  }
  const get = async (path: string, as = headers) => {
    const url = path.startsWith('/')
      ? `${stack.adminUrl}${path}`
      : `${stack.adminUrl}/console/api/${path}`;
    const response = await fetch(url, { headers: as });
    await response.arrayBuffer();
    return response.status;
  };
  const refreshSharedReads = async () => {
    const response = await fetch(`${stack.adminUrl}/console/api/bench-refresh`, {
      method: 'POST',
      headers,
    });
    await response.arrayBuffer();
  };
  const { sample } = volume;
  const endpoints: [string, string][] = [
    ['page (static HTML)', '/console/'],
    ['session', 'session'],
    ['overview', 'overview'],
    ['failure groups', 'failures/groups'],
    ...(volume.groupKey
      ? ([['one failure group', `failures/groups/${encodeURIComponent(volume.groupKey)}`]] as [
          string,
          string,
        ][])
      : []),
    ['search by order id', `orders/search?q=${sample.orderId}`],
    ['search by customer id', `orders/search?q=${sample.customerId}`],
    ['search by payment id', `orders/search?q=${sample.paymentId}`],
    ['search by event id', `orders/search?q=${sample.eventId}`],
    ['order journey', `orders/${sample.orderId}/journey`],
    ['audit', 'audit'],
  ];
  const calls: ConsoleCall[] = [];
  for (const [name, path] of endpoints) {
    await get(path); // warm: the first call compiles and caches plans
    const samples: number[] = [];
    let status = 0;
    for (let i = 0; i < sizes.calls; i++) {
      // Any POST makes the console recompute its shared reads (the overview, the group lists):
      // so each timed call is the computation's cost, not a shared answer's.
      await refreshSharedReads();
      const t0 = performance.now();
      status = await get(path, i % 2 === 0 ? headers : viewer);
      samples.push(performance.now() - t0);
    }
    const template = path.replace(sample.orderId, ':orderId').split('?')[0] as string;
    calls.push({ name, path: template, status, ...percentiles(samples) });
  }
  const post = () => postOrder(stack).then(() => undefined);
  const postAlone = await timedLoop(sizes.seconds, POST_CLIENTS, post);
  const heavy = endpoints.filter(([name]) => /journey|search|overview|failures/.test(name));
  let next = 0;
  const besideConsole = async (fresh: boolean) => {
    let consoleCalls = 0;
    const [posts] = await Promise.all([
      timedLoop(sizes.seconds, POST_CLIENTS, post),
      timedLoop(sizes.seconds, CONSOLE_CLIENTS, async () => {
        const [, path] = heavy[next++ % heavy.length] as [string, string];
        if (fresh) await refreshSharedReads();
        await get(path);
        consoleCalls++;
      }),
    ]);
    return { posts, consoleCalls };
  };
  const shared = await besideConsole(false);
  const fresh = await besideConsole(true);
  return {
    volume,
    calls,
    postAlone,
    postBesideConsole: shared.posts,
    consoleCallsDuringLoad: shared.consoleCalls,
    postBesideFreshConsole: fresh.posts,
    freshConsoleCallsDuringLoad: fresh.consoleCalls,
  };
}

const ms = (value: number) => `${round(value, 1)} ms`;
/** The issue's bound for every console call. */
export const CONSOLE_P95_BOUND_MS = 300;

export function consoleRows(bench: ConsoleBench) {
  const { volume, postAlone, postBesideConsole } = bench;
  const seeded = `${volume.orders} orders, ${volume.deadLetters} dead letters (seeded in ${round(volume.seconds, 0)} s)`;
  const answered = bench.calls.filter((call) => call.status === 200);
  const worst = answered.reduce((a, b) => (b.p95Ms > a.p95Ms ? b : a), answered[0] as ConsoleCall);
  const missing = bench.calls.filter((call) => call.status !== 200);
  return [
    ...bench.calls.map((call) => ({
      measure: `console ${call.name} (GET ${call.path}), one operator, computed fresh each call`,
      result:
        call.status === 200
          ? `p50 ${ms(call.p50Ms)}, p95 ${ms(call.p95Ms)}`
          : `answered ${call.status}: not measured`,
      baseline: `bound p95 ${CONSOLE_P95_BOUND_MS} ms`,
      ratio: call.status === 200 ? `${round(call.p95Ms / CONSOLE_P95_BOUND_MS, 2)}x of bound` : '',
    })),
    {
      measure: `console, slowest call's p95, ${seeded}; ${answered.length} calls measured${missing.length ? `, ${missing.length} not answering 200` : ''}`,
      result: worst ? `${worst.name}: ${ms(worst.p95Ms)}` : '-',
      baseline: `bound ${CONSOLE_P95_BOUND_MS} ms`,
      ratio: worst ? (worst.p95Ms <= CONSOLE_P95_BOUND_MS ? 'within' : 'OVER') : '',
    },
    ...[
      [postBesideConsole, bench.consoleCallsDuringLoad, 'overview and group lists shared'],
      [
        bench.postBesideFreshConsole,
        bench.freshConsoleCallsDuringLoad,
        'every read computed afresh, as with CONSOLE_SUMMARY_MAX_AGE_SECONDS=0',
      ],
    ].map(([beside, consoleCalls, how]) => {
      const load = beside as LoadResult;
      return {
        measure: `API POST /orders, ${POST_CLIENTS} clients, beside ${CONSOLE_CLIENTS} console clients looping (${consoleCalls} console calls; ${how})`,
        result: `p50 ${ms(load.p50Ms)}, p95 ${ms(load.p95Ms)}, p99 ${ms(load.p99Ms)}`,
        baseline: `alone: p50 ${ms(postAlone.p50Ms)}, p95 ${ms(postAlone.p95Ms)}, p99 ${ms(postAlone.p99Ms)}`,
        ratio: `${round(load.p95Ms / postAlone.p95Ms, 2)}x (p95)`,
      };
    }),
  ];
}
