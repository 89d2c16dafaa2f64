// Where an order's time to CONFIRMED goes at a fixed offered rate: each stage from the
// database's own timestamps (order written, reply applied, outbox row published) and the
// records' CreateTime (the relay's send, the peer's reply), so a slow hop shows as such. One
// machine, one clock. "Applied" is processed_at, the start of the transaction that applied the
// reply (its own round trips come after); "published" is the mark after Kafka's acknowledgement.
// `tsx bench/profile-saga-stages.ts [ordersPerSecond=250] [seconds=10] [KEY=value ...]`: a fresh
// bench stack (KEY=value settings passed to the service), the instant peers, a 2 s warm-up at
// the same rate, then the open loop of bench/open-loop.ts.
import { Pool } from 'pg';
import { createKafka } from '../src/messaging/kafka-client-factory';
import { physicalTopic } from '../src/messaging/topics';
import { createLogger } from '../src/shared/logger';
import { startLocalServices } from '../test/support/local-services';
import { waitFor } from '../test/support/wait-for';
import { percentiles, processCpuSeconds, round } from './measure';
import { confirmLatencies, offer } from './open-loop';
import { startInstantPeers } from './saga';
import { startBenchStack, type BenchStack } from './stack';

/** Each request topic with the reply the instant peers answer it with. */
const HOPS = [
  ['process_payment_request', 'payment_successful'],
  ['reserve_inventory_request', 'inventory_reserved'],
] as const;

/** Milliseconds from each order's creation to each later step, by step. */
const STAGES = `
  WITH o AS (SELECT id, created_at FROM orders WHERE id = ANY($1::uuid[]))
  SELECT 'published ' || b.topic AS stage,
         extract(epoch FROM b.published_at - o.created_at) * 1000 AS ms
    FROM outbox b JOIN o ON o.id = b.order_id
  UNION ALL
  SELECT 'applied ' || p.topic, extract(epoch FROM p.processed_at - o.created_at) * 1000
    FROM processed_events p JOIN o ON o.id = p.order_id`;

/** Per order key, each record's CreateTime (ms), by logical topic. */
async function recordTimes(stack: BenchStack, expected: number) {
  const kafka = createKafka({
    clientId: 'saga-stages',
    brokers: stack.brokers,
    requestTimeoutMs: 10_000,
    logger: createLogger('silent'),
  });
  const consumer = kafka.consumer({ groupId: `saga-stages-${Date.now()}` });
  const times = new Map<string, Map<string, number>>();
  let count = 0;
  await consumer.connect();
  try {
    const topics = HOPS.flat().map((topic) => physicalTopic(stack.topicPrefix, topic));
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const logical = topic.slice(stack.topicPrefix.length);
        const byKey = times.get(logical) ?? new Map<string, number>();
        times.set(logical, byKey);
        byKey.set(message.key?.toString() ?? '', Number(message.timestamp));
        count++;
      },
    });
    await waitFor(async () => count >= expected, {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: `${expected} records read back`,
    });
  } finally {
    await consumer.disconnect();
  }
  return times;
}

async function main() {
  const [rate = 250, seconds = 10] = process.argv.slice(2, 4).map(Number);
  const env = Object.fromEntries(
    process.argv.slice(4).map((pair) => pair.split('=', 2) as [string, string]),
  );
  const services = await startLocalServices();
  const stack = await startBenchStack(services, env);
  const peers = await startInstantPeers(stack);
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  try {
    const warmUp = await offer(stack.serviceUrl, stack.authorization, rate, 2);
    await confirmLatencies(stack.databaseUrl, warmUp.ids);
    const cpuBefore = processCpuSeconds(stack.pid);
    const run = await offer(stack.serviceUrl, stack.authorization, rate, seconds);
    const confirmed = await confirmLatencies(stack.databaseUrl, run.ids);
    const cpuMs = (processCpuSeconds(stack.pid) - cpuBefore) * 1000;
    console.log(
      `${rate} orders/s offered for ${seconds} s: ${run.ids.length} of ${run.sent} accepted; ` +
        `service CPU per saga ${round(cpuMs / run.ids.length, 2)} ms; ` +
        `generator event-loop delay p99 ${round(run.generatorDelayP99Ms)} ms`,
    );
    const show = (label: string, samples: number[]) => {
      const { p50Ms, p99Ms } = percentiles(samples);
      console.log(`  ${label.padEnd(52)} p50 ${round(p50Ms)} ms, p99 ${round(p99Ms)} ms`);
    };
    show('accepted -> CONFIRMED', confirmed.samples);
    console.log('since the order was written:');
    const { rows } = await pool.query<{ stage: string; ms: string }>(STAGES, [run.ids]);
    const byStage = new Map<string, number[]>();
    for (const { stage, ms } of rows)
      byStage.set(stage, [...(byStage.get(stage) ?? []), Number(ms)]);
    const median = (samples: number[]) => percentiles(samples).p50Ms;
    for (const [stage, samples] of [...byStage].sort((a, b) => median(a[1]) - median(b[1])))
      show(stage, samples);
    console.log('each hop, from the records (request sent, reply produced) and the reply applied:');
    const times = await recordTimes(stack, 2 * HOPS.length * (warmUp.ids.length + run.ids.length));
    const { rows: appliedAt } = await pool.query<{ topic: string; order_id: string; at: number }>(
      `SELECT topic, order_id::text, extract(epoch FROM processed_at) * 1000 AS at
       FROM processed_events WHERE order_id = ANY($1::uuid[])`,
      [run.ids],
    );
    const appliedByKey = new Map(appliedAt.map((r) => [`${r.topic}/${r.order_id}`, Number(r.at)]));
    for (const [request, reply] of HOPS) {
      const peer: number[] = [];
      const service: number[] = [];
      for (const id of run.ids) {
        const sent = times.get(request)?.get(id);
        const replied = times.get(reply)?.get(id);
        const appliedMs = appliedByKey.get(`${reply}/${id}`);
        if (sent === undefined || replied === undefined || appliedMs === undefined) continue;
        peer.push(replied - sent);
        service.push(appliedMs - replied);
      }
      show(`${request} sent -> ${reply} produced (peer)`, peer);
      show(`${reply} produced -> applied (service)`, service);
    }
  } finally {
    await pool.end();
    await peers.stop();
    await stack.stop();
    await services.stop();
  }
}

void main();
