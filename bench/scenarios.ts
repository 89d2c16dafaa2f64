import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { loadAvroSchema } from '../src/messaging/avro-schemas';
import type { BenchStack } from './stack';
import { closedLoop, percentiles, type LoadResult } from './measure';
import { waitFor } from '../test/support/wait-for';

const ORDER = JSON.stringify({
  customerId: 'bench-customer',
  currency: 'EUR',
  items: [
    { productId: 'sku-1', productName: 'Espresso beans 1kg', quantity: 2, unitPrice: 1899 },
    { productId: 'sku-2', productName: 'Milk jug', quantity: 1, unitPrice: 1250 },
  ],
});

export async function postOrder(stack: BenchStack): Promise<{ id: string }> {
  const response = await fetch(`${stack.serviceUrl}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...stack.authorization },
    body: ORDER,
  });
  if (response.status !== 202) throw new Error(`intake answered ${response.status}`);
  return (await response.json()) as { id: string };
}

/** Framework floor: the same server answering its cheapest route. */
export function healthLoad(
  stack: BenchStack,
  total: number,
  concurrency: number,
): Promise<LoadResult> {
  return closedLoop(total, concurrency, async () => {
    const response = await fetch(`${stack.serviceUrl}/health`);
    await response.arrayBuffer();
  });
}

export function intakeLoad(
  stack: BenchStack,
  total: number,
  concurrency: number,
): Promise<LoadResult> {
  return closedLoop(total, concurrency, async () => {
    await postOrder(stack);
  });
}

/** Database floor: the same four inserts intake makes, as hand-written SQL over a plain pool. */
export async function rawInsertLoad(
  stack: BenchStack,
  total: number,
  concurrency: number,
): Promise<LoadResult> {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 10 });
  try {
    return await closedLoop(total, concurrency, async () => {
      const client = await pool.connect();
      const id = randomUUID();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO orders (id, customer_id, status, currency, total_amount, updated_at, step_deadline_at)
           VALUES ($1, 'raw', 'PENDING', 'EUR', 5048, now(), now() + interval '1 hour')`,
          [id],
        );
        await client.query(
          `INSERT INTO order_items (order_id, position, product_id, product_name, unit_price, quantity, line_total)
           VALUES ($1, 0, 'sku-1', 'Espresso beans 1kg', 1899, 2, 3798), ($1, 1, 'sku-2', 'Milk jug', 1250, 1, 1250)`,
          [id],
        );
        await client.query(
          `INSERT INTO order_status_history (order_id, to_status, reason) VALUES ($1, 'PENDING', 'raw')`,
          [id],
        );
        await client.query(
          // Written as already published, so the relay leaves the baseline's rows alone.
          `INSERT INTO outbox (event_id, order_id, topic, key, payload, published_at)
           VALUES ($2, $1::uuid, 'raw_bench', $1::text, '{}', now())`,
          [id, randomUUID()],
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.end();
  }
}

/** A consumer in the bench process that timestamps each record's arrival by key. */
async function arrivalWatcher(stack: BenchStack, topic: string) {
  const kafka = new Kafka({
    clientId: 'bench-watch',
    brokers: stack.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `bench-${randomUUID()}`,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 20,
  });
  const arrivals = new Map<string, number>();
  await stack.ensureTopics([topic]);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      arrivals.set(message.key?.toString() ?? '', performance.now());
    },
  });
  return { arrivals, stop: () => consumer.disconnect() };
}

/**
 * Idle latency: one order at a time, with a pause between, from the 202 to the record reaching
 * an independent consumer. Baseline: kafkajs producing straight to the same consumer.
 */
export async function idleLatency(stack: BenchStack, samples: number, gapMs: number) {
  const topic = `${stack.topicPrefix}process_payment_request`;
  const rawTopic = `${stack.topicPrefix}bench_raw_latency`;
  const watcher = await arrivalWatcher(stack, topic);
  const rawWatcher = await arrivalWatcher(stack, rawTopic);
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: stack.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const measureOnce = async (send: () => Promise<string>, arrivals: Map<string, number>) => {
    const key = await send();
    const committedAt = performance.now();
    await waitFor(() => arrivals.has(key), {
      timeoutMs: 10_000,
      intervalMs: 1,
      message: 'record never arrived',
    });
    return (arrivals.get(key) as number) - committedAt;
  };
  try {
    // Warm both paths (topic creation, metadata, group assignment) before measuring.
    await measureOnce(async () => (await postOrder(stack)).id, watcher.arrivals);
    await producer.send({ topic: rawTopic, messages: [{ key: 'warm', value: 'x' }] });
    await waitFor(() => rawWatcher.arrivals.has('warm'), {
      timeoutMs: 15_000,
      message: 'raw warm-up',
    });
    const relay: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < samples; i++) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      relay.push(await measureOnce(async () => (await postOrder(stack)).id, watcher.arrivals));
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      raw.push(
        await measureOnce(async () => {
          const key = randomUUID();
          await producer.send({ topic: rawTopic, acks: -1, messages: [{ key, value: 'x' }] });
          return key;
        }, rawWatcher.arrivals),
      );
    }
    return { relay: percentiles(relay), raw: percentiles(raw) };
  } finally {
    await Promise.all([watcher.stop(), rawWatcher.stop(), producer.disconnect()]);
  }
}

/** Same as the relay half of idleLatency, with the NOTIFY trigger off: what polling alone gives. */
export async function pollOnlyLatency(stack: BenchStack, samples: number) {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  await pool.query('ALTER TABLE outbox DISABLE TRIGGER outbox_inserted');
  const watcher = await arrivalWatcher(stack, `${stack.topicPrefix}process_payment_request`);
  try {
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const { id } = await postOrder(stack);
      const t0 = performance.now();
      await waitFor(() => watcher.arrivals.has(id), {
        timeoutMs: 10_000,
        intervalMs: 1,
        message: 'poll',
      });
      latencies.push((watcher.arrivals.get(id) as number) - t0);
      await new Promise((resolve) => setTimeout(resolve, 137)); // off the poll's rhythm
    }
    return percentiles(latencies);
  } finally {
    await pool.query('ALTER TABLE outbox ENABLE TRIGGER outbox_inserted');
    await pool.end();
    await watcher.stop();
  }
}

/**
 * Backlog drain: rows inserted straight into the outbox, timed until all are published.
 * Baseline: kafkajs sending the same number of pre-encoded records in relay-sized batches.
 */
export async function drainThroughput(stack: BenchStack, rows: number, batchSize: number) {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  try {
    const t0 = performance.now();
    await pool.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload)
       SELECT e, o, 'process_payment_request', o::text, jsonb_build_object(
         'eventId', e::text, 'orderId', o::text, 'customerId', 'bench', 'amount', 1000,
         'currency', 'EUR', 'occurredAt', (extract(epoch from now()) * 1000)::bigint)
       FROM (SELECT gen_random_uuid() AS e, gen_random_uuid() AS o FROM generate_series(1, $1)) AS g`,
      [rows],
    );
    await waitFor(
      async () =>
        (await pool.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).rowCount ===
        0,
      { timeoutMs: 120_000, intervalMs: 20, message: 'outbox did not drain' },
    );
    const relaySeconds = (performance.now() - t0) / 1000;

    const registry = new SchemaRegistry({ host: stack.registryUrl });
    const { id: schemaId } = await registry.register(loadAvroSchema('process_payment_request'), {
      subject: `${stack.topicPrefix}bench_raw_drain-value`,
    });
    const kafka = new Kafka({
      clientId: 'bench-raw',
      brokers: stack.brokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      maxInFlightRequests: 1,
    });
    await stack.ensureTopics([`${stack.topicPrefix}bench_raw_drain`]);
    await producer.connect();
    const r0 = performance.now();
    for (let sent = 0; sent < rows; sent += batchSize) {
      const messages = await Promise.all(
        Array.from({ length: Math.min(batchSize, rows - sent) }, async () => {
          const orderId = randomUUID();
          const value = await registry.encode(schemaId, {
            eventId: randomUUID(),
            orderId,
            customerId: 'bench',
            amount: 1000,
            currency: 'EUR',
            occurredAt: Date.now(),
          });
          return { key: orderId, value };
        }),
      );
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: `${stack.topicPrefix}bench_raw_drain`, messages }],
      });
    }
    const rawSeconds = (performance.now() - r0) / 1000;
    await producer.disconnect();
    return { relayPerSecond: rows / relaySeconds, rawPerSecond: rows / rawSeconds };
  } finally {
    await pool.end();
  }
}

export async function residentMemoryMb(stack: BenchStack): Promise<number> {
  const text = await (await fetch(`${stack.adminUrl}/metrics`)).text();
  const match = /^process_resident_memory_bytes (\d+(\.\d+)?)/m.exec(text);
  return match ? Number(match[1]) / 1024 / 1024 : NaN;
}
