// Sustained intake load for a drill: orders at a steady rate, spread over the instances that
// are up, of four kinds whose outcome the simulated peers decide (test/peer-simulators/
// simulator-rules.ts): most succeed, some are declined, underpaid or out of stock. Every 202 is
// remembered; the invariant check then holds the service to each of them.
import type { DrillStack } from './drill-stack';
import { pick, type Random } from './seeded-random';
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

export interface LoadOptions {
  ordersPerSecond: number;
  random: Random;
}

export interface LoadReport {
  /** Order ids answered 202. */
  accepted: string[];
  /** Answers by status (`error` for a refused or reset connection, `hung` for no answer). */
  answers: Record<string, number>;
  /** 503 answers without a Retry-After header. */
  unavailableWithoutRetryAfter: number;
  slowestMs: number;
}

export interface RunningLoad {
  /** Answers so far (a drill waits on them, e.g. for 202s while the broker is frozen). */
  progress(): LoadReport;
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

export function startLoad(
  stack: DrillStack,
  { ordersPerSecond, random }: LoadOptions,
): RunningLoad {
  const report: LoadReport = {
    accepted: [],
    answers: {},
    unavailableWithoutRetryAfter: 0,
    slowestMs: 0,
  };
  const count = (answer: string) => {
    report.answers[answer] = (report.answers[answer] ?? 0) + 1;
  };
  let stopping = false;
  let turn = 0;
  const inFlight = new Set<Promise<void>>();
  const placeOne = async (instance: ServiceInstance) => {
    const started = performance.now();
    try {
      const response = await fetch(`${instance.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...stack.authorization },
        body: orderBody(random),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await response.json()) as { id?: string };
      count(String(response.status));
      if (response.status === 202 && body.id) report.accepted.push(body.id);
      if (response.status === 503 && !response.headers.get('retry-after'))
        report.unavailableWithoutRetryAfter++;
    } catch (error) {
      count((error as Error).name === 'TimeoutError' ? 'hung' : 'error');
    } finally {
      report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
    }
  };
  const ticker = setInterval(
    () => {
      if (stopping) return;
      const up = stack.instances.filter((instance) => instance.isUp());
      const instance = up[turn++ % Math.max(up.length, 1)];
      if (!instance) return count('no instance up');
      const request = placeOne(instance).finally(() => inFlight.delete(request));
      inFlight.add(request);
    },
    Math.max(1, Math.round(1_000 / ordersPerSecond)),
  );
  return {
    progress: () => report,
    async stop() {
      stopping = true;
      clearInterval(ticker);
      await Promise.all(inFlight);
      return report;
    },
  };
}
