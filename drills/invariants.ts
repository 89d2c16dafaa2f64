// The one invariant check every drill ends with, built from four independent sources: the
// database (orders, outbox, processed_events), the Kafka topics (every consumed record, every
// dead letter and every order_confirmed/failed/cancelled, read raw), the peers' own ledger, and
// the answers the load got (202s and cancellations). It waits for the system to settle first.
import { createKafka } from '../src/messaging/kafka-client-factory';
import { DLQ_HEADERS } from '../src/messaging/dead-letter-headers';
import { CONSUMED_TOPICS, deadLetterTopic, physicalTopic } from '../src/messaging/topics';
import { createLogger } from '../src/shared/logger';
import { readRawTopics, type RawRecord } from '../test/support/raw-topic-reader';
import { waitFor } from '../test/support/wait-for';
import { SAGA_GROUP, type DrillStack } from './drill-stack';
import { checkTerminalEvents, TERMINAL_EVENT_TOPICS } from './terminal-events';
import type { CancellationReport, LoadReport } from './load';

export interface InvariantReport {
  accepted: number;
  /** Cancellations answered 200 (each must end CANCELLED). */
  cancelled: number;
  /** Orders whose reservation the inventory peer released (owed when reserved and not confirmed). */
  released: number;
  /** Distinct order_confirmed/order_failed/order_cancelled events read back from the topics. */
  terminalEvents: number;
  /** Accepted orders in a terminal state. */
  completed: number;
  /** Accepted orders missing, stuck, or in a state the peers' decisions do not imply. */
  lost: number;
  /** A payment, refund or reservation taken more than once for one order. */
  doubleEffects: number;
  dlqRecords: number;
  /** Milliseconds from the end of the faults to a settled system. */
  settledAfterMs: number;
  violations: string[];
}

interface OrderRow {
  id: string;
  status: string;
  total_amount: string;
}

const MAX_LISTED = 10; // violations named one by one; the rest are counted

/**
 * What the peers' decisions and the cancellation answers imply for one order, or a reason it
 * cannot have ended. A cancellation answered 200 ends it CANCELLED, whatever the peers decide
 * later (a payment taken after it is refunded, a reservation released); one with no clear
 * answer may have done so.
 */
function expectedEnd(stack: DrillStack, order: OrderRow, cancellations: CancellationReport) {
  const payments = stack.ledger.payments.get(order.id) ?? [];
  const payment = payments[0]?.reply;
  if (
    cancellations.cancelled.includes(order.id) ||
    (order.status === 'CANCELLED' && cancellations.unknown.includes(order.id))
  )
    return { status: 'CANCELLED', paid: payment?.topic === 'payment_successful' };
  if (!payment) return { status: 'no payment decision', paid: false };
  if (payment.topic === 'payment_failed') return { status: 'FAILED', paid: false };
  if (Number(payment.payload.amount) !== Number(order.total_amount))
    return { status: 'FAILED', paid: true };
  const reservation = stack.ledger.reservations.get(order.id)?.[0]?.reply;
  if (!reservation) return { status: 'no reservation decision', paid: true };
  return {
    status: reservation.topic === 'inventory_reserved' ? 'CONFIRMED' : 'FAILED',
    paid: true,
  };
}

/** Database and ledger rules, for every order in the database (not only the accepted ones). */
async function checkOrders(stack: DrillStack, load: LoadReport) {
  const { accepted, cancellations } = load;
  const { rows } = await stack.pool.query<OrderRow>('SELECT id, status, total_amount FROM orders');
  const byId = new Map(rows.map((row) => [row.id, row]));
  const violations: string[] = [];
  let lost = 0;
  let doubleEffects = 0;
  let released = 0;
  for (const id of accepted) {
    if (!byId.has(id)) {
      lost++;
      violations.push(`order ${id} got a 202 and does not exist`);
    }
  }
  const acceptedSet = new Set(accepted);
  for (const order of rows) {
    const expected = expectedEnd(stack, order, cancellations);
    if (order.status !== expected.status) {
      if (acceptedSet.has(order.id)) lost++;
      violations.push(`order ${order.id} is ${order.status}; the peers imply ${expected.status}`);
    }
    const refunds = stack.ledger.refunds.get(order.id)?.length ?? 0;
    const owed = expected.paid && order.status !== 'CONFIRMED' ? 1 : 0;
    if (refunds !== owed)
      violations.push(
        `order ${order.id} (${order.status}) was refunded ${refunds} times, owed ${owed}`,
      );
    const reservation = stack.ledger.reservations.get(order.id)?.[0]?.reply;
    const releases = stack.ledger.releases.get(order.id)?.length ?? 0;
    released += releases;
    const releaseOwed =
      reservation?.topic === 'inventory_reserved' && order.status !== 'CONFIRMED' ? 1 : 0;
    if (releases !== releaseOwed)
      violations.push(
        `order ${order.id} (${order.status}) had its reservation released ${releases} times, owed ${releaseOwed}`,
      );
    for (const [effect, count] of [
      ['payment requests', stack.ledger.payments.get(order.id)?.length ?? 0],
      ['refunds', refunds],
      ['reservations', stack.ledger.reservations.get(order.id)?.length ?? 0],
      ['releases', releases],
    ] as const) {
      if (count > 1) {
        doubleEffects += count - 1;
        violations.push(`order ${order.id}: ${count} ${effect} took effect at the peers`);
      }
    }
  }
  const unpublished = Number(
    (await stack.pool.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')).rows[0]
      .n,
  );
  if (unpublished > 0) violations.push(`${unpublished} outbox rows unpublished`);
  const completed = accepted.filter((id) =>
    ['CONFIRMED', 'FAILED', 'CANCELLED'].includes(byId.get(id)?.status ?? ''),
  ).length;
  return { violations, lost, doubleEffects, completed, released, rows };
}

function consumedTopics(stack: DrillStack): string[] {
  return CONSUMED_TOPICS.map((topic) => physicalTopic(stack.topicPrefix, topic));
}

/** Records on the consumed topics the saga group has not committed yet. */
async function consumerLag(stack: DrillStack): Promise<number> {
  const admin = createKafka({
    clientId: 'drill-lag',
    brokers: stack.services.kafka.brokers,
    requestTimeoutMs: 5_000,
    logger: createLogger('silent'),
  }).admin();
  await admin.connect();
  try {
    let lag = 0;
    const committed = await admin.fetchOffsets({
      groupId: SAGA_GROUP,
      topics: consumedTopics(stack),
    });
    for (const topic of consumedTopics(stack)) {
      const ends = await admin.fetchTopicOffsets(topic);
      const done = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
      for (const end of ends) {
        const at = Number(done.find((p) => p.partition === end.partition)?.offset ?? -1);
        lag += Number(end.high) - Math.max(at, Number(end.low));
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Every record on the consumed topics and their dead-letter topics, read raw to the end. */
async function readEverything(stack: DrillStack, topics: string[]): Promise<RawRecord[]> {
  const admin = createKafka({
    clientId: 'drill-read',
    brokers: stack.services.kafka.brokers,
    requestTimeoutMs: 5_000,
    logger: createLogger('silent'),
  }).admin();
  await admin.connect();
  let total = 0;
  try {
    for (const topic of topics)
      for (const end of await admin.fetchTopicOffsets(topic))
        total += Number(end.high) - Number(end.low);
  } finally {
    await admin.disconnect();
  }
  const reader = await readRawTopics(stack.services.kafka.brokers, topics);
  try {
    await waitFor(() => reader.records.length >= total, {
      timeoutMs: 120_000,
      message: `${total} records read back`,
    });
    return reader.records;
  } finally {
    await reader.stop();
  }
}

/** Applied (its event id in processed_events) or dead-lettered, each poison record once. */
async function checkConsumedRecords(stack: DrillStack, records: RawRecord[]) {
  const consumed = consumedTopics(stack);
  const { rows } = await stack.pool.query<{ event_id: string }>(
    'SELECT event_id FROM processed_events',
  );
  const applied = new Set(rows.map((row) => row.event_id));
  const deadLettered = new Map<string, number>();
  let dlqRecords = 0;
  for (const record of records) {
    const original = record.headers[DLQ_HEADERS.originalTopic];
    if (original === undefined) continue;
    dlqRecords++;
    const source = `${original}/${record.headers[DLQ_HEADERS.originalPartition]}/${record.headers[DLQ_HEADERS.originalOffset]}`;
    deadLettered.set(source, (deadLettered.get(source) ?? 0) + 1);
  }
  const violations: string[] = [];
  let skipped = 0;
  for (const record of records) {
    if (!consumed.includes(record.topic)) continue;
    const source = `${record.topic}/${record.partition}/${record.offset}`;
    const copies = deadLettered.get(source) ?? 0;
    if (copies > 1) violations.push(`${source} dead-lettered ${copies} times`);
    const eventId = record.headers['event-id'];
    if (copies === 0 && !(eventId && applied.has(eventId))) {
      skipped++;
      if (skipped <= MAX_LISTED) violations.push(`${source} neither applied nor dead-lettered`);
    }
  }
  if (skipped > MAX_LISTED) violations.push(`... ${skipped} consumed records skipped in all`);
  return { violations, dlqRecords };
}

/**
 * Waits (up to `timeoutMs`) for every order to end, the outbox to drain and the saga group to
 * catch up, then checks everything once. Violations are returned, not thrown: the drill's row
 * still reports its figures.
 */
export async function checkInvariants(
  stack: DrillStack,
  load: LoadReport,
  timeoutMs: number,
): Promise<InvariantReport> {
  const started = performance.now();
  try {
    await waitFor(
      async () =>
        (await checkOrders(stack, load)).violations.length === 0 &&
        (await consumerLag(stack)) === 0,
      { timeoutMs, intervalMs: 1_000, message: 'the system settled' },
    );
  } catch {
    // reported below, violation by violation
  }
  const settledAfterMs = performance.now() - started;
  const orders = await checkOrders(stack, load);
  const lag = await consumerLag(stack).catch(() => -1);
  const consumed = consumedTopics(stack);
  const terminal = TERMINAL_EVENT_TOPICS.map((topic) => physicalTopic(stack.topicPrefix, topic));
  const all = await readEverything(stack, [
    ...consumed,
    ...consumed.map(deadLetterTopic),
    ...terminal,
  ]);
  const records = await checkConsumedRecords(stack, all);
  const events = checkTerminalEvents(stack.topicPrefix, orders.rows, all);
  const violations = [...orders.violations, ...records.violations, ...events.violations];
  if (lag !== 0) violations.push(`saga consumer lag ${lag} records`);
  return {
    accepted: load.accepted.length,
    cancelled: load.cancellations.cancelled.length,
    released: orders.released,
    terminalEvents: events.count,
    completed: orders.completed,
    lost: orders.lost,
    doubleEffects: orders.doubleEffects,
    dlqRecords: records.dlqRecords,
    settledAfterMs,
    violations: [
      ...violations.slice(0, MAX_LISTED * 3),
      ...(violations.length > MAX_LISTED * 3 ? [`... ${violations.length} violations in all`] : []),
    ],
  };
}
