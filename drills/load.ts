// Sustained intake load for a drill: orders at a steady rate, spread over the instances that
// are up, of four kinds whose outcome the simulated peers decide (test/peer-simulators/
// simulator-rules.ts): most succeed, some are declined, underpaid or out of stock; and some
// accepted orders cancelled a moment later, racing the saga. Every 202 and every cancellation
// answer is remembered; the invariant check then holds the service to each of them. A drill
// marks its fault windows, so that what the service did outside them can be held to a minimum.
import type { DrillStack } from './drill-stack';
import { between, pick, type Random } from './seeded-random';
import type { ServiceInstance } from './service-instance';

/** Unit prices whose minor-unit ending the payment simulator reads (13 declined, 77 short). */
const ORDER_KINDS = [
  ...Array<{ productId: string; unitPrice: number }>(7).fill({
    productId: 'sku-1',
    unitPrice: 1250,
  }),
  { productId: 'sku-2', unitPrice: 2413 }, // payment declined
  { productId: 'sku-3', unitPrice: 1977 }, // underpaid: refunded
  { productId: 'oos-4', unitPrice: 1500 }, // out of stock: refunded
] as const;

/** A request that has had no answer after this long counts as hung. */
export const REQUEST_TIMEOUT_MS = 20_000;
/** One accepted order in this many is cancelled, 0 to 300 ms after its 202 (mid-saga or too late). */
const CANCEL_ONE_IN = 8;
const CANCEL_DELAY_MS = { min: 0, max: 300 };
/** A fault's window stays open this long after the drill ends it: the service's recovery time. */
export const FAULT_GRACE_MS = 5_000;

export interface LoadOptions {
  ordersPerSecond: number;
  random: Random;
}

export interface FaultWindowOptions {
  /** An instance is killed in this window: refused connections are expected in it. */
  instanceKilled?: boolean;
}

export interface CancellationReport {
  /** Answered 200: the order must end CANCELLED. */
  cancelled: string[];
  /** Answered 409: the order must not end CANCELLED. */
  refused: string[];
  /** No answer, or another one: either end is allowed. */
  unknown: string[];
}

export interface LoadReport {
  /** Order ids answered 202. */
  accepted: string[];
  /** Answers by status (`error` for a refused or reset connection, `hung` for no answer). */
  answers: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  slowestMs: number;
  /** Orders sent with no fault window (or its grace) open between sending and answering. */
  outsideFaults: { offered: number; accepted: number; refusedConnections: number };
  /** Refused or reset connections in a window where no instance was killed. */
  unplannedRefusals: number;
  cancellations: CancellationReport;
}

export interface RunningLoad {
  /** Answers so far (a drill waits on them, e.g. for 202s while the broker is frozen). */
  progress(): LoadReport;
  /** Runs `fault` as a fault window: what is sent or answered in it (or its grace) is not held to the minimum. */
  fault<T>(fault: () => Promise<T>, options?: FaultWindowOptions): Promise<T>;
  stop(): Promise<LoadReport>;
}

export function orderBody(random: Random): string {
  const kind = pick(random, ORDER_KINDS);
  return JSON.stringify({
    customerId: 'drill-customer',
    currency: 'EUR',
    items: [
      {
        productId: kind.productId,
        productName: 'Drill item',
        quantity: 1,
        unitPrice: kind.unitPrice,
      },
    ],
  });
}

interface FaultWindow {
  from: number;
  to: number; // Infinity while open
  instanceKilled: boolean;
}

export function startLoad(
  stack: DrillStack,
  { ordersPerSecond, random }: LoadOptions,
): RunningLoad {
  const report: LoadReport = {
    accepted: [],
    answers: {},
    unavailableWithoutRetryAfter: 0,
    slowestMs: 0,
    outsideFaults: { offered: 0, accepted: 0, refusedConnections: 0 },
    unplannedRefusals: 0,
    cancellations: { cancelled: [], refused: [], unknown: [] },
  };
  const windows: FaultWindow[] = [];
  /** The windows (with their grace) that overlap [from, to]. */
  const faultsBetween = (from: number, to: number) =>
    windows.filter((w) => w.from <= to && from <= w.to + FAULT_GRACE_MS);
  const count = (answer: string) => {
    report.answers[answer] = (report.answers[answer] ?? 0) + 1;
  };
  let stopping = false;
  let turn = 0;
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    const tracked = work.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const upInstance = (): ServiceInstance | undefined => {
    const up = stack.instances.filter((instance) => instance.isUp());
    return up[turn++ % Math.max(up.length, 1)];
  };

  const cancel = async (id: string) => {
    const instance = upInstance();
    let status = 'no instance up';
    try {
      if (instance) {
        const response = await fetch(`${instance.url}/api/v1/orders/${id}/cancel`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...stack.authorization },
          body: JSON.stringify({ reason: 'drill' }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.arrayBuffer();
        status = String(response.status);
      }
    } catch {
      status = 'error';
    }
    const { cancellations } = report;
    (status === '200'
      ? cancellations.cancelled
      : status === '409'
        ? cancellations.refused
        : cancellations.unknown
    ).push(id);
  };

  const placeOne = async (instance: ServiceInstance | undefined) => {
    const started = performance.now();
    let answer = 'no instance up';
    try {
      if (instance) {
        const response = await fetch(`${instance.url}/api/v1/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...stack.authorization },
          body: orderBody(random),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = (await response.json()) as { id?: string };
        answer = String(response.status);
        if (response.status === 202 && body.id) {
          report.accepted.push(body.id);
          if (between(random, 1, CANCEL_ONE_IN) === 1) {
            const id = body.id;
            const delay = between(random, CANCEL_DELAY_MS.min, CANCEL_DELAY_MS.max);
            track(new Promise((resolve) => setTimeout(resolve, delay)).then(() => cancel(id)));
          }
        }
        if (response.status === 503 && !response.headers.get('retry-after'))
          report.unavailableWithoutRetryAfter++;
      }
    } catch (error) {
      answer = (error as Error).name === 'TimeoutError' ? 'hung' : 'error';
    } finally {
      const ended = performance.now();
      report.slowestMs = Math.max(report.slowestMs, ended - started);
      count(answer);
      const faults = faultsBetween(started, ended);
      if (answer === 'error' && !faults.some((w) => w.instanceKilled)) report.unplannedRefusals++;
      if (faults.length === 0) {
        report.outsideFaults.offered++;
        if (answer === '202') report.outsideFaults.accepted++;
        if (answer === 'error') report.outsideFaults.refusedConnections++;
      }
    }
  };
  const ticker = setInterval(
    () => {
      if (!stopping) track(placeOne(upInstance()));
    },
    Math.max(1, Math.round(1_000 / ordersPerSecond)),
  );
  return {
    progress: () => report,
    async fault(run, options = {}) {
      const window: FaultWindow = {
        from: performance.now(),
        to: Infinity,
        instanceKilled: options.instanceKilled ?? false,
      };
      windows.push(window);
      try {
        return await run();
      } finally {
        window.to = performance.now();
      }
    },
    async stop() {
      stopping = true;
      clearInterval(ticker);
      while (inFlight.size > 0) await Promise.all(inFlight); // cancellations follow 202s
      return report;
    },
  };
}
