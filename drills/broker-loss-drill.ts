// Drill 3: the broker killed (SIGKILL) under load and started again on the same port. Intake keeps
// answering 202 (orders wait in the outbox), nothing is dead-lettered, and the producer and the
// consumer find the broker again by themselves: no instance is restarted.
// - `broker loss`: the broker comes back on its log directory, with every acknowledged record and
//   committed offset. Nobody has anything to do.
// - `broker data loss`: it comes back empty (its disk lost: no topics, records or offsets), and
//   the drill does what docs/reliability.md tells an operator to: re-create the topics
//   and re-publish the outbox rows published since shortly before the loss, which the peers
//   deduplicate by event id (they answer a redelivered request with their first reply).
// Intake needs no broker: 90 % of the orders must be accepted, while it is down too (its own
// rule besides: only 202s then).
import { createKafka } from '../src/messaging/kafka-client-factory';
import { createTopics, serviceTopics } from '../src/messaging/topic-provisioning';
import { createLogger } from '../src/shared/logger';
import { underLoad, sleep, type Drill, type DrillContext } from './drill';
import type { DrillStack } from './drill-stack';
import { kafkaSides, type KafkaSide } from './instance-readiness';

const RECOVERY_BOUND_MS = 120_000;
/** Peers that take a while to answer, so some requests are always in flight at the kill. */
const PEER_LATENCY = { minLatencyMs: 50, maxLatencyMs: 150 };
/** Re-published: rows published up to this long before the loss (longer than any peer's lag). */
const REPUBLISH_MARGIN_S = 60;

const recovered = (sides: KafkaSide[]) =>
  sides.every((side) => side.breaker === 'closed' && side.consumer === 'running');

/** Polls /ready until `done`, noting every state seen; the wait in ms, or undefined. */
async function watch(
  stack: DrillStack,
  forMs: number,
  seen: Set<string>,
  done: (sides: KafkaSide[]) => boolean = () => false,
): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < forMs) {
    const sides = await kafkaSides(stack);
    for (const side of sides) seen.add(`breaker ${side.breaker}, consumer ${side.consumer}`);
    if (done(sides)) return performance.now() - started;
    await sleep(500);
  }
  return undefined;
}

/** The operator's steps after a broker came back empty; how many outbox rows were re-published. */
async function recoverLostData(stack: DrillStack, lostAt: Date): Promise<number> {
  const kafka = createKafka({
    clientId: 'drill-operator',
    brokers: stack.services.kafka.brokers,
    requestTimeoutMs: 10_000,
    logger: createLogger('silent'),
  });
  await createTopics(kafka, serviceTopics(stack.topicPrefix), {
    partitions: 6,
    replicationFactor: 1,
  });
  const { rowCount } = await stack.pool.query(
    `UPDATE outbox SET published_at = NULL
      WHERE published_at >= $1::timestamptz - make_interval(secs => $2)`,
    [lostAt, REPUBLISH_MARGIN_S],
  );
  return rowCount ?? 0;
}

function brokerLoss(name: string, emptied: boolean): Drill {
  return {
    name,
    async run(context: DrillContext) {
      const downMs = context.mode === 'long' ? 30_000 : 10_000;
      const kills = context.mode === 'long' ? 3 : 1;
      return underLoad(
        name,
        context,
        {
          ordersPerSecond: 20,
          minAcceptedShare: 0.9,
          settleTimeoutMs: 180_000,
          noDeadLetters: true,
          peers: { payment: PEER_LATENCY, inventory: PEER_LATENCY },
        },
        async (stack, load) => {
          const broker = stack.services.kafka.broker?.restartable;
          if (!broker)
            throw new Error(`${name} needs a JVM broker of its own (unset KAFKA_BROKERS)`);
          const violations: string[] = [];
          const restartsMs: number[] = [];
          const recoveriesMs: number[] = [];
          const seen = new Set<string>();
          let acceptedDown = 0;
          let republished = 0;
          for (let i = 0; i < kills; i++) {
            await sleep(5_000);
            const before = { ...load.progress().answers };
            const acceptedBefore = load.progress().accepted.length;
            context.log(`${name}: SIGKILL, down for ${downMs / 1_000} s`);
            const lostAt = new Date();
            await broker.kill();
            try {
              await watch(stack, downMs, seen);
            } finally {
              const starting = performance.now();
              await broker.start({ emptied });
              restartsMs.push(performance.now() - starting);
            }
            if (emptied) republished += await recoverLostData(stack, lostAt);
            acceptedDown += load.progress().accepted.length - acceptedBefore;
            const refused = Object.entries(load.progress().answers)
              .filter(([status]) => status !== '202')
              .map(([status, count]) => `${count - (before[status] ?? 0)} × ${status}`)
              .filter((entry) => !entry.startsWith('0 ×'));
            if (refused.length > 0)
              violations.push(`while the broker was down, intake answered ${refused.join(', ')}`);
            const recoveryMs = await watch(stack, RECOVERY_BOUND_MS, seen, recovered);
            if (recoveryMs === undefined)
              violations.push(
                `breaker or consumer not back within ${RECOVERY_BOUND_MS / 1_000} s of the restart`,
              );
            else recoveriesMs.push(recoveryMs);
          }
          await sleep(5_000); // load on the restarted broker before it stops
          if (acceptedDown === 0) violations.push('no order accepted while the broker was down');
          for (const instance of stack.instances)
            if (!instance.isUp())
              violations.push(`${instance.name} exited: ${instance.output().slice(-300)}`);
          context.log(`${name}: states seen: ${[...seen].join('; ')}`);
          const seconds = (values: number[]) => `${(Math.max(0, ...values) / 1_000).toFixed(0)} s`;
          const comeBack = emptied
            ? `started empty; topics re-created, ${republished} outbox rows re-published`
            : 'started on the same log directory';
          return {
            faults: `${kills} × broker SIGKILL, down ${downMs / 1_000} s, ${comeBack}; ${acceptedDown} orders accepted meanwhile`,
            recovery: `broker up ${seconds(restartsMs)} after its start; breaker closed and consumers running ${seconds(recoveriesMs)} after that`,
            violations,
          };
        },
      );
    },
  };
}

export const brokerLossDrill = brokerLoss('broker loss (SIGKILL)', false);
export const brokerDataLossDrill = brokerLoss('broker disk wiped (SIGKILL, empty restart)', true);
