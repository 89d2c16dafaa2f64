import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { outboxKeys } from '../src/config/outbox';
import { RELAY_SLOTS } from '../src/data-access/outbox-repository';
import { loadAvroSchema } from '../src/messaging/avro-schemas';
import { producerSettings } from '../src/messaging/kafka-client-factory';
import type { BenchStack } from './stack';
import { ORDER_BODY } from './intake';
import { percentiles } from './measure';
import { relaySlotsOf } from '../test/support/outbox-fixtures';
import { waitFor } from '../test/support/wait-for';

export async function postOrder(stack: BenchStack): Promise<{ id: string }> {
  const response = await fetch(`${stack.serviceUrl}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...stack.authorization },
    body: ORDER_BODY,
  });
  if (response.status !== 202) throw new Error(`intake answered ${response.status}`);
  return (await response.json()) as { id: string };
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

/**
 * `rows` payment requests of new orders, written straight into the outbox in one statement; the
 * relay learns of them only by its poll, or by a notification the caller sends.
 */
export async function insertBacklog(pool: Pool, rows: number): Promise<string[]> {
  const { rows: inserted } = await pool.query<{ key: string }>(
    `INSERT INTO outbox (event_id, order_id, topic, key, payload)
     SELECT e, o, 'process_payment_request', o::text, jsonb_build_object(
       'eventId', e::text, 'orderId', o::text, 'customerId', 'bench', 'amount', 1000,
       'currency', 'EUR', 'occurredAt', (extract(epoch from now()) * 1000)::bigint)
     FROM (SELECT gen_random_uuid() AS e, gen_random_uuid() AS o FROM generate_series(1, $1)) AS g
     RETURNING key`,
    [rows],
  );
  return inserted.map((row) => row.key);
}

/**
 * The relay half of idleLatency for a row whose writer does not signal the relay (written
 * straight into the outbox): what polling alone gives.
 */
export async function pollOnlyLatency(stack: BenchStack, samples: number) {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  const watcher = await arrivalWatcher(stack, `${stack.topicPrefix}process_payment_request`);
  try {
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const [id] = (await insertBacklog(pool, 1)) as [string];
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
    await pool.end();
    await watcher.stop();
  }
}

/** The relay's batch size as the service runs it (OUTBOX_BATCH_SIZE's default): the baseline's. */
export const RELAY_BATCH_SIZE = outboxKeys.OUTBOX_BATCH_SIZE.parse(undefined);

/**
 * Backlog drain: rows inserted straight into the outbox, timed from their commit (and the
 * notification that wakes the relay) until all are published (inserting the backlog is not the
 * relay's work: it took 0.4 to 0.7 s of the 20,000-row run). Baseline: kafkajs sending the same number of pre-encoded records in
 * relay-sized batches.
 */
export async function drainThroughput(stack: BenchStack, rows: number, batchSize: number) {
  const relayPerSecond = await relayDrainThroughput(stack, rows);
  const rawPerSecond = await rawSendThroughput(stack, rows, batchSize);
  return { relayPerSecond, rawPerSecond };
}

/**
 * Rows per second the stack's relays publish a backlog of `rows` at. With several instances,
 * timed once each holds its share of the outbox slots, so the figure is their joint pace.
 * `onTimingStarts` runs once the backlog is written, as the timing starts.
 */
export async function relayDrainThroughput(
  stack: BenchStack,
  rows: number,
  onTimingStarts?: () => void,
): Promise<number> {
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  const drained = async () =>
    (await pool.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).rowCount === 0;
  try {
    await waitFor(
      async () => {
        const held = await Promise.all(stack.adminUrls.map(relaySlotsOf));
        return held.every((slots) => slots.length === Math.ceil(RELAY_SLOTS / held.length));
      },
      { timeoutMs: 30_000, message: 'the relays did not share the slots' },
    );
    // One row first, as the baseline's producer is connected first: the relay's producer
    // connects and gets its producer id on its first send, which is start-up, not throughput.
    await insertBacklog(pool, 1);
    await pool.query(`SELECT pg_notify('outbox_written', '')`);
    await waitFor(drained, { timeoutMs: 60_000, message: 'the warm-up row was not published' });
    await insertBacklog(pool, rows);
    onTimingStarts?.();
    const t0 = performance.now();
    // As another instance's write would: the relay starts now, not at its next poll.
    await pool.query(`SELECT pg_notify('outbox_written', '')`);
    await waitFor(drained, {
      timeoutMs: 120_000,
      intervalMs: 20,
      message: 'outbox did not drain',
    });
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    await pool.end();
  }
}

/**
 * The baseline: kafkajs sending `rows` pre-encoded records, with the relay's headers, in
 * relay-sized batches. `onTimingStarts` runs once they are encoded, as the timing starts.
 */
export async function rawSendThroughput(
  stack: BenchStack,
  rows: number,
  batchSize: number,
  onTimingStarts?: () => void,
) {
  const registry = new SchemaRegistry({ host: stack.registryUrl });
  const { id: schemaId } = await registry.register(loadAvroSchema('process_payment_request'), {
    subject: `${stack.topicPrefix}bench_raw_drain-value`,
  });
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: stack.brokers,
    logLevel: logLevel.NOTHING,
  });
  // The service's producer settings: idempotent where the broker has it, one request in flight.
  const producer = kafka.producer(producerSettings(stack.flavour !== 'mock'));
  await stack.ensureTopics([`${stack.topicPrefix}bench_raw_drain`]);
  await producer.connect();
  // Encoded before timing: the baseline is sending alone.
  const batches: { key: string; value: Buffer; headers: Record<string, string> }[][] = [];
  for (let sent = 0; sent < rows; sent += batchSize) {
    batches.push(
      await Promise.all(
        Array.from({ length: Math.min(batchSize, rows - sent) }, async () => {
          const orderId = randomUUID();
          const eventId = randomUUID();
          const value = await registry.encode(schemaId, {
            eventId,
            orderId,
            customerId: 'bench',
            amount: 1000,
            currency: 'EUR',
            occurredAt: Date.now(),
          });
          // The same record as the relay's: its key, value and the headers every event carries.
          const headers = { 'event-id': eventId, 'event-type': 'process_payment_request' };
          return { key: orderId, value, headers };
        }),
      ),
    );
  }
  onTimingStarts?.();
  const r0 = performance.now();
  for (const messages of batches) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic: `${stack.topicPrefix}bench_raw_drain`, messages }],
    });
  }
  const rawSeconds = (performance.now() - r0) / 1000;
  await producer.disconnect();
  return rows / rawSeconds;
}
