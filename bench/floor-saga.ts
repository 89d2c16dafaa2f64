// The Node floor for the saga participant (issue 23 item 2): plain kafkajs + pg and the same
// registry client, nothing else. It publishes bench/floor-intake's outbox rows, applies the
// instant peers' two happy-path replies (one transaction per step: inbox row, order, history,
// effect, outbox row), and publishes what each step wrote, through the outbox as the service
// does. No breaker, metrics, validation, tracing, or compensation (the peers always succeed).
// Env: DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool, type PoolClient } from 'pg';
import { loadAvroSchema } from '../src/messaging/avro-schemas';
import type { SagaTopic } from '../src/messaging/topics';

const {
  DATABASE_URL,
  KAFKA_BROKERS = '',
  SCHEMA_REGISTRY_URL = '',
  TOPIC_PREFIX = '',
} = process.env;
const pool = new Pool({ connectionString: DATABASE_URL, max: 6 });
const registry = new SchemaRegistry({ host: SCHEMA_REGISTRY_URL });
const kafka = new Kafka({ brokers: KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const consumer = kafka.consumer({ groupId: `${TOPIC_PREFIX}floor-saga`, maxWaitTimeInMs: 100 });
const schemaIds = new Map<string, number>();

type Step = { to: string; emit: SagaTopic; effect: 'payment' | 'reservation'; from: string };
const STEPS: Record<string, Step> = {
  payment_successful: {
    from: 'PENDING',
    to: 'INVENTORY_RESERVING',
    emit: 'reserve_inventory_request',
    effect: 'payment',
  },
  inventory_reserved: {
    from: 'INVENTORY_RESERVING',
    to: 'CONFIRMED',
    emit: 'order_confirmed',
    effect: 'reservation',
  },
};

async function transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** One reply, one transaction. */
async function applyReply(topic: string, reply: Record<string, unknown>): Promise<void> {
  const step = STEPS[topic] as Step;
  const orderId = String(reply.orderId);
  await transaction(async (sql) => {
    const claimed = await sql.query(
      `INSERT INTO processed_events (event_id, topic, order_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [reply.eventId, topic, orderId],
    );
    if (claimed.rowCount === 0) return; // already applied
    const { rows } = await sql.query(
      `SELECT o.status, o.customer_id, o.total_amount, o.currency,
        (SELECT json_agg(json_build_object('productId', product_id, 'quantity', quantity))
         FROM order_items WHERE order_id = o.id) AS items
       FROM orders o WHERE o.id = $1 FOR UPDATE`,
      [orderId],
    );
    const order = rows[0];
    if (order?.status !== step.from) return;
    const reference = String(reply.paymentId ?? reply.reservationId);
    const deadline = step.to === 'CONFIRMED' ? null : new Date(Date.now() + 30_000);
    await sql.query(
      `UPDATE orders SET status = $2, step_deadline_at = $3, version = version + 1,
         updated_at = now() WHERE id = $1`,
      [orderId, step.to, deadline],
    );
    await sql.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, reason, causing_event_id)
       VALUES ($1, $2, $3, $4, $5)`,
      [orderId, step.from, step.to, topic, reply.eventId],
    );
    await sql.query(
      `INSERT INTO order_effects (order_id, kind, reference, amount, currency, event_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        orderId,
        step.effect,
        reference,
        reply.amount ?? null,
        reply.currency ?? null,
        reply.eventId,
      ],
    );
    const eventId = randomUUID();
    const base = { eventId, orderId, occurredAt: Date.now() };
    const payload =
      step.emit === 'order_confirmed'
        ? {
            ...base,
            customerId: order.customer_id,
            amount: Number(order.total_amount),
            currency: order.currency,
          }
        : { ...base, items: order.items };
    await sql.query(
      `INSERT INTO outbox (event_id, order_id, topic, key, payload) VALUES ($1, $2::uuid, $3, $2::text, $4)`,
      [eventId, orderId, step.emit, JSON.stringify(payload)],
    );
  });
}

/** Publishes unpublished outbox rows in id order, a batch per transaction; true if it sent any. */
async function relayOnce(): Promise<boolean> {
  return transaction(async (sql) => {
    const { rows } = await sql.query<{
      id: string;
      topic: SagaTopic;
      key: string;
      payload: object;
    }>(
      `SELECT id, topic, key, payload FROM outbox WHERE published_at IS NULL
       ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`,
    );
    if (rows.length === 0) return false;
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const row of rows) {
      const value = await registry.encode(await schemaId(row.topic), row.payload);
      const topic = `${TOPIC_PREFIX}${row.topic}`;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: row.key, value }]);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    await sql.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [
      rows.map((row) => row.id),
    ]);
    return true;
  });
}

async function schemaId(topic: SagaTopic): Promise<number> {
  const known = schemaIds.get(topic);
  if (known !== undefined) return known;
  const { id } = await registry.register(loadAvroSchema(topic), {
    subject: `${TOPIC_PREFIX}${topic}-value`,
  });
  schemaIds.set(topic, id);
  return id;
}

let running = true;
/** Failures go to stderr (the bench shows them) and the work is retried. */
function report(error: unknown): false {
  process.stderr.write(`floor-saga: ${error instanceof Error ? error.message : String(error)}\n`);
  return false;
}

/**
 * Woken at once after a step commits; otherwise polls for intake's rows (another process, which
 * cannot wake it), backing off to 10 ms: a wait the service's in-process wake-up does not have.
 */
let wake: () => void = () => undefined;
async function relayLoop(): Promise<void> {
  let idleMs = 1;
  while (running) {
    if (await relayOnce().catch(report)) idleMs = 1;
    else {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, idleMs);
      });
      idleMs = Math.min(10, idleMs * 2);
    }
  }
}

async function main(): Promise<void> {
  await Promise.all([producer.connect(), consumer.connect()]);
  const topics = Object.keys(STEPS).map((t) => `${TOPIC_PREFIX}${t}`);
  await consumer.subscribe({ topics, fromBeginning: true }); // fresh topics: none missed
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const reply = (await registry.decode(message.value as Buffer)) as Record<string, unknown>;
      await applyReply(topic.slice(TOPIC_PREFIX.length), reply).catch((error: unknown) => {
        report(error);
        throw error;
      });
      wake();
    },
  });
  const loop = relayLoop();
  process.send?.('ready');
  process.on('SIGTERM', () => {
    running = false;
    void loop
      .then(() => Promise.all([consumer.disconnect(), producer.disconnect()]))
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}

void main();
