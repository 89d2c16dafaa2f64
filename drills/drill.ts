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
  invariants: InvariantReport;
  violations: string[];
}

export interface Drill {
  name: string;
  run(context: DrillContext): Promise<DrillResult>;
}

export interface UnderLoadOptions extends DrillStackOptions {
  ordersPerSecond: number;
  /** How long the system may take to settle after the faults. */
  settleTimeoutMs: number;
  /** A dead letter is a violation: the faults are ones the consumer must wait out. */
  noDeadLetters?: boolean;
}

/** Runs `faults` against a fresh stack under load, stops the load, checks the invariants. */
export async function underLoad(
  name: string,
  context: DrillContext,
  options: UnderLoadOptions,
  faults: (stack: DrillStack, load: RunningLoad) => Promise<FaultReport>,
): Promise<DrillResult> {
  const stack = await startDrillStack(context.services, options);
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
    context.log(`${name}: load stopped after ${seconds} s; checking the invariants`);
    const invariants = await checkInvariants(stack, answers.accepted, options.settleTimeoutMs);
    const violations = [...(report.violations ?? []), ...invariants.violations];
    if (options.noDeadLetters && invariants.dlqRecords > 0)
      violations.push(`${invariants.dlqRecords} records dead-lettered`);
    for (const [status, count] of Object.entries(answers.answers))
      if (/^5\d\d$/.test(status) && status !== '503')
        violations.push(`${count} answers ${status} to valid orders`);
    if (answers.unavailableWithoutRetryAfter > 0)
      violations.push(`${answers.unavailableWithoutRetryAfter} answers 503 without Retry-After`);
    if (answers.answers.hung) violations.push(`${answers.answers.hung} requests hung`);
    return {
      drill: name,
      load: `${options.ordersPerSecond} orders/s for ${seconds} s`,
      faults: report.faults,
      recovery:
        report.recovery ?? `settled ${Math.round(invariants.settledAfterMs / 1_000)} s after`,
      answers: answers.answers,
      invariants,
      violations,
    };
  } finally {
    await stack.stop();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
