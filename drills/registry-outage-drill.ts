// Drill 5: the schema registry taken away from both instances (a TCP proxy in between), while
// the peers, which reach it directly, keep replying. Refused: connections reset at once. Hung:
// accepted and never answered. No reply may be dead-lettered, the consumer must have retried
// (else the outage was not felt), and consumption must resume once the registry is back.
// Intake does not need the registry: 90 % of the orders must be accepted, in the outage too.
import { startTcpProxy, type CutMode } from '../test/support/tcp-proxy';
import { underLoad, sleep, type Drill } from './drill';
import type { DrillStack } from './drill-stack';
import { counterTotal } from './service-metrics';
import { waitFor } from '../test/support/wait-for';

async function appliedEvents(stack: DrillStack): Promise<number> {
  const { rows } = await stack.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM processed_events',
  );
  return Number(rows[0]?.n);
}

async function publishedRows(stack: DrillStack): Promise<number> {
  const { rows } = await stack.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL',
  );
  return Number(rows[0]?.n);
}

function registryDrill(name: string, cut: CutMode): Drill {
  return {
    name,
    async run(context) {
      const outageMs = context.mode === 'long' ? 60_000 : 25_000;
      const registry = new URL(context.services.kafka.registryUrl);
      const proxy = await startTcpProxy({
        host: registry.hostname,
        port: Number(registry.port || (registry.protocol === 'https:' ? 443 : 80)),
      });
      try {
        return await underLoad(
          name,
          context,
          {
            ordersPerSecond: 15,
            minAcceptedShare: 0.9,
            settleTimeoutMs: 180_000,
            noDeadLetters: true,
            registryUrl: proxy.proxiedUrl(registry.toString()).replace(/\/$/, ''),
          },
          async (stack) => {
            // Once the relay has published (its own schemas are registered in the background at
            // start-up; cut before that, no request leaves, no reply comes, and the consumer has
            // nothing to retry), and before the replies: the peers' schemas are not yet fetched.
            await waitFor(async () => (await publishedRows(stack)) > 0, {
              timeoutMs: 60_000,
              intervalMs: 20,
              message: 'the relay publishing its first row',
            });
            const retriesBefore = await counterTotal(stack, 'consumer_retries_total');
            proxy.cut(cut);
            const appliedBefore = await appliedEvents(stack);
            context.log(`registry ${cut}: ${outageMs / 1_000} s`);
            await sleep(outageMs);
            const retries = (await counterTotal(stack, 'consumer_retries_total')) - retriesBefore;
            const applied = (await appliedEvents(stack)) - appliedBefore;
            proxy.restore();
            await sleep(10_000);
            // A consumer that waits on a hung registry call forever neither retries nor applies.
            const violations =
              retries > 0
                ? []
                : [
                    `no consumer retry in the ${outageMs / 1_000} s outage (${applied} replies applied in it): the consumer did not give up on the registry call`,
                  ];
            return {
              faults: `registry ${cut === 'reset' ? 'refusing connections' : 'hanging'} ${outageMs / 1_000} s; ${retries} consumer retries and ${applied} replies applied meanwhile`,
              violations,
            };
          },
        );
      } finally {
        await proxy.stop();
      }
    },
  };
}

export const registryRefusedDrill = registryDrill('registry outage (refused)', 'reset');
export const registryHangDrill = registryDrill('registry hang', 'blackhole');
