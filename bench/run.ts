// `npm run bench`: every figure next to a baseline measured in the same run, on the same machine,
// database server and broker, because absolute numbers on shared 2-core machines are noise.
// Modes: default (docs/performance.md's figures), --quick (smaller), --smoke (CI: it runs,
// not how fast).
// `--only drain` (or a comma-separated list of intake, ratelimit, saga, idle, drain, horizon,
// openloop, sagafloor, console) runs just those.
// Results go to stdout as a table and to bench/results/<date>-<mode>.json (smoke runs: the temp
// directory; --out FILE to choose; --note TEXT is kept in it, e.g. what else ran).
// `--service-env KEY=VALUE,...` starts every service instance with those settings (kept in the
// results file too), e.g. `--service-env HTTP_MAX_CONCURRENT_REQUESTS=256` to compare a setting.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import os from 'node:os';
import path from 'node:path';
import { formatTable } from '../src/shared/text-table';
import { startLocalServices, type LocalServices } from '../test/support/local-services';
import { intakeBaseline, postOrders } from './intake';
import { sagaCpuAgainstFloor, sagaFloorRows } from './saga-floor';
import { openLoopAgainstFloor, openLoopRows } from './open-loop';
import { intakeAgainstFloor, intakeFloorRows } from './intake-floor';
import { consoleBench, consoleRows } from './console';
import { processMemoryMb, round } from './measure';
import { idleConfirmLatency, sagaThroughput, type SagaThroughput } from './saga';
import { drainWithHorizon, horizonRows, type HorizonRun } from './held-horizon';
import { rateLimitCost, rateLimitCostRows } from './rate-limit-cost';
import {
  RELAY_BATCH_SIZE,
  drainThroughput,
  idleLatency,
  pollOnlyLatency,
  relayDrainThroughput,
} from './scenarios';
import { startBenchStack, type BenchStack } from './stack';
import { waitFor } from '../test/support/wait-for';

const MODES = {
  smoke: {
    intakeRounds: 1,
    roundSeconds: 2,
    connections: 8,
    sagaOrders: 200,
    idle: 5,
    drain: 500,
    outageDrain: 2_000,
    horizonSeconds: 5,
    floorSagaOrders: 200,
    openLoopSeconds: 2,
    horizonBatch: 200,
    consoleOrders: 2_000,
    consoleDeadLetters: 200,
    consoleCalls: 20,
    consoleSeconds: 2,
  },
  quick: {
    intakeRounds: 2,
    roundSeconds: 4,
    connections: 64,
    sagaOrders: 2_000,
    idle: 20,
    drain: 5_000,
    outageDrain: 50_000,
    horizonSeconds: 20,
    floorSagaOrders: 2_000,
    openLoopSeconds: 5,
    horizonBatch: 1_000,
    consoleOrders: 20_000,
    consoleDeadLetters: 2_000,
    consoleCalls: 50,
    consoleSeconds: 5,
  },
  full: {
    intakeRounds: 3,
    roundSeconds: 8,
    connections: 64,
    sagaOrders: 10_000,
    idle: 60,
    drain: 20_000,
    outageDrain: 100_000,
    horizonSeconds: 60,
    floorSagaOrders: 5_000,
    openLoopSeconds: 10,
    horizonBatch: 1_000,
    consoleOrders: 200_000,
    consoleDeadLetters: 20_000,
    consoleCalls: 200,
    consoleSeconds: 10,
  },
} as const;
type Mode = keyof typeof MODES;

interface Row {
  measure: string;
  result: string;
  baseline: string;
  ratio: string;
}

const mb = (value: number) => `${round(value, 0)} MB`;
const ms = (value: number) => `${round(value, 1)} ms`;

async function main(): Promise<void> {
  const mode: Mode = process.argv.includes('--smoke')
    ? 'smoke'
    : process.argv.includes('--quick')
      ? 'quick'
      : 'full';
  const sizes = MODES[mode];
  const outIndex = process.argv.indexOf('--out');
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex > 0 ? process.argv[onlyIndex + 1]?.split(',') : undefined;
  // How busy the machine was (1-minute load average at the start and the end): figures from a
  // shared machine say so in their results file.
  const loadAtStart = os.loadavg()[0] as number;
  const noteIndex = process.argv.indexOf('--note');
  const serviceEnv = serviceEnvArgument();
  const services = await startLocalServices();
  const withStack = (name: Scenario, run: (stack: BenchStack) => Promise<void>, instances = 1) =>
    !only || only.includes(name)
      ? withFreshStack(services, run, instances, serviceEnv)
      : Promise.resolve();
  process.stderr.write(`${services.summary}\n`);
  const rows: Row[] = [];
  const figures: Record<string, unknown> = {};
  let maxIntakePerSecond: { service: number } | undefined;
  try {
    await withStack('intake', async (stack) => {
      const against = await intakeAgainstFloor(services, stack, {
        rounds: sizes.intakeRounds,
        connections: sizes.connections,
        seconds: sizes.roundSeconds,
      });
      const baseline = await intakeBaseline(stack, sizes.connections, sizes.roundSeconds);
      figures.intake = { against, baseline, connections: sizes.connections };
      maxIntakePerSecond = { service: against.service.perSecond.median };
      rows.push(...intakeFloorRows(against, sizes.connections, sizes.roundSeconds), {
        measure: `intake POST /orders against what Postgres allows, the same rounds`,
        result: `median ${round(against.service.perSecond.median, 0)}/s`,
        baseline: `${baseline.tool}, same statement, ${sizes.connections} clients: ${round(baseline.perSecond, 0)}/s p99 ${ms(baseline.p99Ms)}`,
        ratio: `${round(against.service.perSecond.median / baseline.perSecond, 2)}x (median)`,
      });
    });

    if (!only || only.includes('ratelimit')) {
      const cost = await rateLimitCost(services, {
        rounds: sizes.intakeRounds,
        connections: sizes.connections,
        seconds: sizes.roundSeconds,
      });
      figures.rateLimit = cost;
      rows.push(...rateLimitCostRows(cost, sizes.connections, sizes.roundSeconds));
    }

    await withStack('saga', async (stack) => {
      const before = processMemoryMb(stack.pid);
      const saga = await sagaThroughput(stack, sizes.sagaOrders, sizes.connections, 600_000);
      figures.saga = { ...saga, rssBeforeMb: before.rssMb };
      rows.push(
        {
          measure: `completed sagas, instant peers, ${saga.orders} orders, fresh stack`,
          result: `${round(saga.sagasPerSecond, 0)} sagas/s (${round(saga.seconds, 1)} s)`,
          baseline: '-',
          ratio: '',
        },
        {
          measure: 'accepted → CONFIRMED under that load',
          result: `p50 ${ms(saga.confirmLatency.p50Ms)}, p95 ${ms(saga.confirmLatency.p95Ms)}, p99 ${ms(saga.confirmLatency.p99Ms)}`,
          baseline: '-',
          ratio: '',
        },
        {
          measure: 'saga consumer, replies applied',
          result: `${round(saga.consumerEventsPerSecond, 0)} events/s`,
          baseline: '-',
          ratio: '',
        },
        {
          measure: 'service peak RSS during that run',
          result: mb(saga.peakRssMb),
          baseline: `at start ${mb(before.rssMb)}`,
          ratio: `${round(saga.peakRssMb / before.rssMb, 2)}x`,
        },
      );
    });

    // The same orders with two instances: the consumer group and the outbox slots are shared.
    await withStack(
      'saga',
      async (stack) => {
        await waitFor(
          async () =>
            (
              await Promise.all(
                stack.adminUrls.map(
                  async (url) =>
                    ((await (await fetch(`${url}/ready`)).json()) as { sagaConsumer: string })
                      .sagaConsumer,
                ),
              )
            ).every((state) => state === 'running'),
          { timeoutMs: 60_000, message: 'both consumers in the group' },
        );
        const saga = await sagaThroughput(stack, sizes.sagaOrders, sizes.connections, 600_000);
        const one = figures.saga as SagaThroughput | undefined;
        figures.sagaTwoInstances = saga;
        rows.push({
          measure: `completed sagas, two instances, ${saga.orders} orders`,
          result: `${round(saga.sagasPerSecond, 0)} sagas/s (${round(saga.seconds, 1)} s)`,
          baseline: one ? `one instance ${round(one.sagasPerSecond, 0)} sagas/s` : '-',
          ratio: one ? `${round(saga.sagasPerSecond / one.sagasPerSecond, 2)}x` : '',
        });
        rows.push({
          measure: 'service CPU per saga, two instances together',
          result: ms(saga.serviceCpuMsPerSaga),
          baseline: one ? `one instance ${ms(one.serviceCpuMsPerSaga)}` : '-',
          ratio: one ? `${round(saga.serviceCpuMsPerSaga / one.serviceCpuMsPerSaga, 2)}x` : '',
        });
        rows.push({
          measure: "two instances, HTTP spread evenly: each instance's CPU per saga and peak RSS",
          result: saga.instances
            .map((each, i) => `#${i + 1}: ${ms(each.cpuMsPerSaga)}, ${mb(each.peakRssMb)}`)
            .join('; '),
          baseline: one
            ? `one instance: ${ms(one.serviceCpuMsPerSaga)}, ${mb(one.peakRssMb)}`
            : '-',
          ratio: '',
        });
      },
      2,
    );

    await withStack('idle', async (stack) => {
      const confirm = await idleConfirmLatency(stack, sizes.idle, 50);
      const record = await idleLatency(stack, sizes.idle, 50);
      const pollOnly = await pollOnlyLatency(stack, Math.max(3, Math.floor(sizes.idle / 5)));
      figures.idle = { confirm, record, pollOnly };
      rows.push(
        {
          measure: 'idle: accepted → CONFIRMED, instant peers',
          result: `p50 ${ms(confirm.p50Ms)}, p95 ${ms(confirm.p95Ms)}, p99 ${ms(confirm.p99Ms)}`,
          baseline: `kafkajs produce → consume p50 ${ms(record.raw.p50Ms)}`,
          ratio: `${round(confirm.p50Ms / record.raw.p50Ms, 1)}x (p50)`,
        },
        {
          measure: 'idle: 202 to record consumed',
          result: `p50 ${ms(record.relay.p50Ms)}, p95 ${ms(record.relay.p95Ms)}`,
          baseline: `kafkajs produce → consume p50 ${ms(record.raw.p50Ms)}, p95 ${ms(record.raw.p95Ms)}`,
          ratio: `${round(record.relay.p50Ms / record.raw.p50Ms, 1)}x (p50)`,
        },
        {
          measure: 'idle, a write that does not wake the relay (poll only)',
          result: `p50 ${ms(pollOnly.p50Ms)}`,
          baseline: `woken p50 ${ms(record.relay.p50Ms)}`,
          ratio: `${round(pollOnly.p50Ms / record.relay.p50Ms, 0)}x slower`,
        },
      );
    });

    let oneInstanceDrain: number | undefined;
    await withStack('drain', async (stack) => {
      // The baseline sends batches of the relay's own size (OUTBOX_BATCH_SIZE's default).
      const drain = await drainThroughput(stack, sizes.drain, RELAY_BATCH_SIZE);
      oneInstanceDrain = drain.relayPerSecond;
      figures.drain = { rows: sizes.drain, ...drain };
      rows.push(drainRow(`outbox backlog drain, ${sizes.drain} rows`, drain));
      // A backlog as an outage of the broker leaves. A claim that read every waiting row, not
      // just its batch, drained such a backlog at half the pace of a small one.
      const outage = await drainThroughput(stack, sizes.outageDrain, RELAY_BATCH_SIZE);
      figures.outageDrain = { rows: sizes.outageDrain, ...outage };
      rows.push(
        drainRow(`outbox backlog drain, ${sizes.outageDrain} rows (what an outage leaves)`, outage),
      );
    });
    // The same backlog, two instances sharing the outbox slots (and this machine's two cores).
    await withStack(
      'drain',
      async (stack) => {
        const perSecond = await relayDrainThroughput(stack, sizes.drain);
        figures.drainTwoInstances = { rows: sizes.drain, relayPerSecond: perSecond };
        rows.push({
          measure: `outbox backlog drain, two instances`,
          result: `${round(perSecond, 0)} rows/s`,
          baseline: oneInstanceDrain ? `one instance ${round(oneInstanceDrain, 0)} rows/s` : '-',
          ratio: oneInstanceDrain ? `${round(perSecond / oneInstanceDrain, 2)}x` : '',
        });
      },
      2,
    );

    await withStack('openloop', async (stack) => {
      // 25, 50 and 75% of the service's median closed-loop maximum (one quick round if the
      // intake scenario did not run).
      const max =
        maxIntakePerSecond?.service ??
        (
          await postOrders(
            `${stack.serviceUrl}/api/v1/orders`,
            stack.authorization,
            sizes.connections,
            sizes.roundSeconds,
          )
        ).perSecond;
      const openLoop = await openLoopAgainstFloor(services, stack, max, sizes.openLoopSeconds);
      figures.openLoop = openLoop;
      rows.push(...openLoopRows(openLoop, sizes.openLoopSeconds));
    });

    await withStack('sagafloor', async (stack) => {
      const sagaFloor = await sagaCpuAgainstFloor(
        services,
        stack,
        sizes.floorSagaOrders,
        sizes.connections,
      );
      figures.sagaFloor = sagaFloor;
      rows.push(...sagaFloorRows(sagaFloor));
    });

    // Issue 21 item 8: the console with real volumes, and the API's latency beside it.
    await withStack('console', async (stack) => {
      const bench = await consoleBench(stack, {
        orders: sizes.consoleOrders,
        deadLetters: sizes.consoleDeadLetters,
        calls: sizes.consoleCalls,
        seconds: sizes.consoleSeconds,
      });
      figures.console = bench;
      rows.push(...consoleRows(bench));
    });

    // Issue 23 item 8: each condition on a fresh stack, so neither inherits the other's bloat.
    const horizon: HorizonRun[] = [];
    for (const held of [false, true]) {
      await withStack('horizon', async (stack) => {
        horizon.push(await drainWithHorizon(stack, held, sizes.horizonSeconds, sizes.horizonBatch));
      });
    }
    const [plain, held] = horizon;
    if (plain && held) {
      figures.heldHorizon = { plain, held };
      rows.push(...horizonRows(plain, held, sizes.horizonBatch));
    }
  } finally {
    await services.stop();
  }
  printTable(rows);
  const date = new Date().toISOString().slice(0, 10);
  const out =
    outIndex > 0
      ? (process.argv[outIndex + 1] as string)
      : path.join(
          mode === 'smoke' ? os.tmpdir() : path.join(__dirname, 'results'),
          `${date}-${mode}.json`,
        );
  mkdirSync(path.dirname(out), { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: { start: round(loadAtStart, 1), end: round(os.loadavg()[0] as number, 1) },
  };
  const note = noteIndex > 0 ? process.argv[noteIndex + 1] : undefined;
  const results = {
    date,
    mode,
    machine,
    note,
    ...(Object.keys(serviceEnv).length > 0 && { serviceEnv }),
    services: services.summary,
    figures,
    table: rows,
  };
  const json = JSON.stringify(results, null, 2);
  writeFileSync(out, `${json}\n`); // first as it is: a long run's figures are never lost
  // Then formatted as the repository's own Prettier would, so a committed run passes lint.
  try {
    const options = await prettier.resolveConfig(out);
    writeFileSync(out, await prettier.format(json, { ...options, parser: 'json' }));
  } catch (error) {
    process.stderr.write(`figures left unformatted (${String(error)}); run prettier --write\n`);
  }
  process.stderr.write(`figures written to ${path.relative(process.cwd(), out)}\n`);
}

/** A drain's row: the relay's rate against kafkajs sending the same records ready-made. */
function drainRow(measure: string, drain: Awaited<ReturnType<typeof drainThroughput>>) {
  return {
    measure,
    result: `${round(drain.relayPerSecond, 0)} rows/s`,
    baseline: `kafkajs sendBatch of pre-encoded records ${round(drain.rawPerSecond, 0)}/s`,
    ratio: `${round(drain.relayPerSecond / drain.rawPerSecond, 2)}x`,
  };
}

type Scenario =
  | 'intake'
  | 'ratelimit'
  | 'saga'
  | 'idle'
  | 'drain'
  | 'horizon'
  | 'openloop'
  | 'sagafloor'
  | 'console';

/** `--service-env A=1,B=2` as `{ A: '1', B: '2' }`; refuses an entry without `=`. */
function serviceEnvArgument(): Record<string, string> {
  const index = process.argv.indexOf('--service-env');
  if (index < 0) return {};
  const entries = (process.argv[index + 1] ?? '').split(',').map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new Error(`--service-env takes KEY=VALUE,..., not "${entry}"`);
    return [entry.slice(0, at), entry.slice(at + 1)] as const;
  });
  return Object.fromEntries(entries);
}

async function withFreshStack(
  services: LocalServices,
  run: (stack: BenchStack) => Promise<void>,
  instances: number,
  serviceEnv: Record<string, string>,
) {
  const stack = await startBenchStack(services, serviceEnv, instances);
  try {
    await run(stack);
  } finally {
    await stack.stop();
  }
}

/** Markdown; docs/performance.md's tables are generated from the results file instead. */
function printTable(rows: Row[]): void {
  const header = ['measure', 'result', 'baseline (same run)', 'ratio'];
  const cells = rows.map((row) => [row.measure, row.result, row.baseline, row.ratio]);
  for (const line of formatTable(header, cells, { style: 'markdown' })) {
    process.stdout.write(`${line}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (process.env.BENCH_DEBUG ? error.stack : error.message) : String(error)}\n`,
  );
  process.exit(1);
});
