// Where an order's time to CONFIRMED goes at a fixed offered rate: each stage from the
// database's own timestamps (order written, reply applied, outbox row published) and the
// records' CreateTime (the relay's send, the peer's reply), so a slow hop shows as such. One
// machine, one clock. "Applied" is processed_at, the start of the transaction that applied the
// reply (its own round trips come after); "published" is the mark after Kafka's acknowledgement.
// `tsx bench/profile-saga-stages.ts [ordersPerSecond=250] [seconds=10] [KEY=value ...]`: a fresh
// bench stack (KEY=value settings passed to the service), the instant peers, a 2 s warm-up at
// the same rate, then the open loop of bench/open-loop.ts.
import { Pool } from 'pg';
import { physicalTopic } from '../src/messaging/topics';
import { publishKafkaStack } from '../test/support/kafka-stack';
import { startLocalServices } from '../test/support/local-services';
import { readRawTopics } from '../test/support/raw-topic-reader';
import { percentiles, processCpuSeconds, round } from './measure';
import { confirmLatencies, offer } from './open-loop';
import { runProfileScript } from './profiled-service';
import { startInstantPeers } from './saga';
import { startBenchStack } from './stack';

/** Each request topic with the reply the instant peers answer it with. */
const HOPS = [
  ['process_payment_request', 'payment_successful'],
  ['reserve_inventory_request', 'inventory_reserved'],
] as const;

/** Each order's later steps, with when the order was written: epoch milliseconds. */
const STEPS = `
  WITH o AS (SELECT id, created_at FROM orders WHERE id = ANY($1::uuid[]))
  SELECT o.id AS order_id, 'published ' || b.topic AS stage,
         extract(epoch FROM o.created_at) * 1000 AS created, extract(epoch FROM b.published_at) * 1000 AS at
    FROM outbox b JOIN o ON o.id = b.order_id
  UNION ALL
  SELECT o.id, 'applied ' || p.topic,
         extract(epoch FROM o.created_at) * 1000, extract(epoch FROM p.processed_at) * 1000
    FROM processed_events p JOIN o ON o.id = p.order_id`;

runProfileScript(async () => {
  const [rate = 250, seconds = 10] = process.argv.slice(2, 4).map(Number);
  const env = Object.fromEntries(
    process.argv.slice(4).map((pair) => pair.split('=', 2) as [string, string]),
  );
  const services = await startLocalServices();
  publishKafkaStack(services.kafka); // the test support's topic reader looks for it there
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
    const { rows } = await pool.query<{
      order_id: string;
      stage: string;
      created: string;
      at: string;
    }>(STEPS, [run.ids]);
    const byStage = new Map<string, number[]>();
    const reached = new Map<string, number>(); // `${stage}/${orderId}` → epoch ms
    for (const { order_id, stage, created, at } of rows) {
      byStage.set(stage, [...(byStage.get(stage) ?? []), Number(at) - Number(created)]);
      reached.set(`${stage}/${order_id}`, Number(at));
    }
    const median = (samples: number[]) => percentiles(samples).p50Ms;
    for (const [stage, samples] of [...byStage].sort((a, b) => median(a[1]) - median(b[1])))
      show(stage, samples);

    console.log('each hop, from the records (request sent, reply produced) and the reply applied:');
    const topics = HOPS.flat().map((topic) => physicalTopic(stack.topicPrefix, topic));
    const reader = await readRawTopics(stack.brokers, topics);
    const expected = topics.length * (warmUp.ids.length + run.ids.length);
    await reader.waitFor(() => true, expected, 60_000).finally(() => reader.stop());
    const createTime = new Map(
      reader.records.map((record) => [
        `${record.topic.slice(stack.topicPrefix.length)}/${String(record.key)}`,
        Number(record.timestamp),
      ]),
    );
    for (const [request, reply] of HOPS) {
      const peer: number[] = [];
      const service: number[] = [];
      for (const id of run.ids) {
        const sent = createTime.get(`${request}/${id}`);
        const replied = createTime.get(`${reply}/${id}`);
        const applied = reached.get(`applied ${reply}/${id}`);
        if (sent === undefined || replied === undefined || applied === undefined) continue;
        peer.push(replied - sent);
        service.push(applied - replied);
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
});
