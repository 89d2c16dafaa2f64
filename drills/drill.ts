// The shape every drill shares: a fresh two-instance stack, sustained load, the drill's faults,
// then the shared invariant check. A drill only says what its faults are and what it measured.
import type { LocalServices } from '../test/support/local-services';
import { startDrillStack, type DrillStack, type DrillStackOptions } from './drill-stack';
import { checkInvariants, type InvariantReport } from './invariants';
import { startLoad, type LoadReport, type RunningLoad } from './load';
import type { Random } from './seeded-random';

export type DrillMode = 'short' | 'long';

export interface DrillContext {
  services: LocalServices;
  mode: DrillMode;
  random: Random;
  log(line: string): void;
  /** Another build of the service to drill (the self-check's broken builds). */
  serviceRoot?: string;
}

/** What the faults did, in the drill's own words, and any rule of its own that broke. */
export interface FaultReport {
  faults: string;
  /** The drill's own recovery figure (e.g. breaker closed after thaw), if it has one. */
  recovery?: string;
  violations?: string[];
}

export interface DrillResult {
  drill: string;
  load: string;
  faults: string;
  recovery: string;
  answers: LoadReport['answers'];
  /** Orders sent and accepted outside the fault windows, and the share required. */
  outsideFaults: LoadReport['outsideFaults'] & { required: number };
  invariants: InvariantReport;
  violations: string[];
}

export interface Drill {
  name: string;
  run(context: DrillContext): Promise<DrillResult>;
}

export interface UnderLoadOptions extends DrillStackOptions {
  ordersPerSecond: number;
  /**
   * The share of the orders sent outside the drill's fault windows (and their grace,
   * load.ts) that must get a 202: a service that refuses everything cannot pass.
   */
  minAcceptedShare: number;
  /** How long the system may take to settle after the faults. */
  settleTimeoutMs: number;
  /** A dead letter is a violation: the faults are ones the consumer must wait out. */
  noDeadLetters?: boolean;
}

/** Every instance still running and answering /health, or why not. */
async function deadInstances(stack: DrillStack): Promise<string[]> {
  const dead: string[] = [];
  for (const instance of stack.instances) {
    const healthy =
      instance.isUp() &&
      (await fetch(`${instance.url}/health`, { signal: AbortSignal.timeout(5_000) }).then(
        (response) => response.ok,
        () => false,
      ));
    if (!healthy)
      dead.push(
        `${instance.name} is down at the end of the drill (${instance.isUp() ? 'not answering /health' : 'exited'}): ${instance.output().slice(-300)}`,
      );
  }
  return dead;
}

/** The orderly stop of every instance: exit code 0 and no error logged on the way out. */
async function orderlyStops(stack: DrillStack): Promise<string[]> {
  const violations: string[] = [];
  for (const instance of stack.instances) {
    const stopped = await instance.stop();
    if (!stopped) continue; // already reported as down
    if (stopped.exit !== 0)
      violations.push(`${instance.name}'s orderly stop ended with ${stopped.exit}`);
    for (const line of stopped.errors.slice(0, 3))
      violations.push(`${instance.name} logged on its orderly stop: ${line.slice(0, 300)}`);
  }
  return violations;
}

/** The load's own rules: enough orders accepted outside the faults, and no answer that is never right. */
function loadViolations(options: UnderLoadOptions, answers: LoadReport): string[] {
  const violations: string[] = [];
  const { offered, accepted } = answers.outsideFaults;
  const required = Math.max(1, Math.ceil(offered * options.minAcceptedShare));
  if (accepted < required)
    violations.push(
      `${accepted} of ${offered} orders accepted outside the faults (at least ${required}: ${options.minAcceptedShare * 100} %)`,
    );
  if (answers.unplannedRefusals > 0)
    violations.push(
      `${answers.unplannedRefusals} connections refused or reset with no instance killed`,
    );
  for (const [status, count] of Object.entries(answers.answers))
    if (/^5\d\d$/.test(status) && status !== '503')
      violations.push(`${count} answers ${status} to valid orders`);
  if (answers.unavailableWithoutRetryAfter > 0)
    violations.push(`${answers.unavailableWithoutRetryAfter} answers 503 without Retry-After`);
  if (answers.answers.hung) violations.push(`${answers.answers.hung} requests hung`);
  return violations;
}

/**
 * Runs `faults` against a fresh stack under load, stops the load, checks that every instance is
 * up, checks the invariants, and stops the instances in order.
 */
export async function underLoad(
  name: string,
  context: DrillContext,
  options: UnderLoadOptions,
  faults: (stack: DrillStack, load: RunningLoad) => Promise<FaultReport>,
): Promise<DrillResult> {
  const stack = await startDrillStack(context.services, {
    ...options,
    serviceRoot: context.serviceRoot,
  });
  try {
    const started = performance.now();
    const load = startLoad(stack, {
      ordersPerSecond: options.ordersPerSecond,
      random: context.random,
    });
    let report: FaultReport;
    try {
      report = await faults(stack, load);
    } finally {
      await load.stop();
    }
    const answers = load.progress();
    const seconds = Math.round((performance.now() - started) / 1_000);
    const dead = await deadInstances(stack);
    context.log(`${name}: load stopped after ${seconds} s; checking the invariants`);
    const settleTimeoutMs = Math.min(
      options.settleTimeoutMs,
      Number(process.env.DRILL_SETTLE_TIMEOUT_MS ?? Infinity),
    );
    const invariants = await checkInvariants(stack, answers, settleTimeoutMs);
    const violations = [
      ...dead,
      ...loadViolations(options, answers),
      ...(report.violations ?? []),
      ...invariants.violations,
    ];
    if (options.noDeadLetters && invariants.dlqRecords > 0)
      violations.push(`${invariants.dlqRecords} records dead-lettered`);
    violations.push(...(await orderlyStops(stack)));
    return {
      drill: name,
      load: `${options.ordersPerSecond} orders/s for ${seconds} s`,
      faults: report.faults,
      recovery:
        report.recovery ?? `settled ${Math.round(invariants.settledAfterMs / 1_000)} s after`,
      answers: answers.answers,
      outsideFaults: {
        ...answers.outsideFaults,
        required: Math.max(1, Math.ceil(answers.outsideFaults.offered * options.minAcceptedShare)),
      },
      invariants,
      violations,
    };
  } finally {
    await stack.stop();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
