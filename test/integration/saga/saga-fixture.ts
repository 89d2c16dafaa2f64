/**
 * What the saga end-to-end tests share: a service of their own (fresh database, topic prefix
 * and consumer group), optionally the peer simulators, exact peer replies (peer-events), and an
 * independent reader of every saga topic. Plus small read helpers for the API, the database
 * and /metrics. Not a test file itself (jest matches *.test.ts only).
 */
import { PRODUCED_TOPICS, CONSUMED_TOPICS, physicalTopic } from '../../../src/messaging/topics';
import { startPeers, type PeersConfig, type RunningPeers } from '../../peer-simulators/start-peers';
import { createLogger } from '../../../src/shared/logger';
import type { Config } from '../../../src/config';
import type { OrderView, StatusChangeView } from '../../../src/domain/order-view';
import { MOCK_BROKER_CONSUMER_TUNING } from '../../support/kafka-mock-broker';
import {
  aValidOrder,
  jsonHeaders,
  postOrder,
  readJson,
  startTestService,
  type TestService,
} from '../../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../../support/peer-events';
import { readTopics, type DecodedRecord, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { fixture } from '../../support/fixtures/fixture';

export interface SagaFixture {
  app: TestService;
  /** Exact replies, for tests that need control. */
  events: PeerEvents;
  /** The simulated payment and inventory services, when asked for. */
  peers?: RunningPeers;
  /** Every produced and consumed topic of this service, read from the beginning. */
  reader: TopicReader;
  stop(): Promise<void>;
}

export interface SagaFixtureOptions {
  env?: Record<string, string>;
  /** Start the peer simulators (with these settings). */
  peers?: Partial<Pick<PeersConfig, 'payment' | 'inventory'>> | boolean;
}

/** Consumer settings for the simulators on the mock broker (valid on real Kafka too). */
export const PEER_CONSUMER_TUNING = {
  sessionTimeoutMs: MOCK_BROKER_CONSUMER_TUNING.sessionTimeout,
  heartbeatIntervalMs: MOCK_BROKER_CONSUMER_TUNING.heartbeatInterval,
  maxWaitTimeInMs: MOCK_BROKER_CONSUMER_TUNING.maxWaitTimeInMs,
};

export async function startSimulators(
  config: Config,
  settings: Partial<Pick<PeersConfig, 'payment' | 'inventory'>> = {},
): Promise<RunningPeers> {
  return startPeers({
    brokers: config.KAFKA_BROKERS,
    registryUrl: config.SCHEMA_REGISTRY_URL,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    consumer: PEER_CONSUMER_TUNING,
    logger: createLogger('silent'),
    ...settings,
  });
}

export function readAllSagaTopics(config: Config): Promise<TopicReader> {
  const topics = [...PRODUCED_TOPICS, ...CONSUMED_TOPICS].map((topic) =>
    physicalTopic(config.KAFKA_TOPIC_PREFIX, topic),
  );
  return readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, topics);
}

export async function startSagaFixture(options: SagaFixtureOptions = {}): Promise<SagaFixture> {
  const app = await startTestService(options.env);
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = app.config;
  const settings = typeof options.peers === 'object' ? options.peers : {};
  const [events, reader, peers] = await Promise.all([
    startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX),
    readAllSagaTopics(app.config),
    options.peers ? startSimulators(app.config, settings) : Promise.resolve(undefined),
  ]);
  return {
    app,
    events,
    peers,
    reader,
    async stop() {
      await Promise.allSettled([reader.stop(), events.stop(), peers?.stop()]);
      await app.stop();
    },
  };
}

// --- reading what happened ---------------------------------------------------------------

/** GET /api/v1/orders/:id: the order with its status history. */
/** "A running saga": startSagaFixture before the block's tests, stopped after them. */
export function runningSaga(options: SagaFixtureOptions = {}): SagaFixture {
  return fixture(
    'runningSaga()',
    () => startSagaFixture(options),
    (saga) => saga.stop(),
  );
}

export type OrderDetail = OrderView & { history: StatusChangeView[] };

export async function orderDetail(baseUrl: string, orderId: string): Promise<OrderDetail> {
  const response = await fetch(`${baseUrl}/api/v1/orders/${orderId}`);
  if (response.status !== 200) throw new Error(`GET order ${orderId}: ${response.status}`);
  return readJson(response);
}

/** Waits until the order has `status`; the last status seen is in the timeout message. */
export async function waitForStatus(
  baseUrl: string,
  orderId: string,
  status: string,
): Promise<OrderDetail> {
  let last = 'unknown';
  try {
    return await waitFor(
      async () => {
        const detail = await orderDetail(baseUrl, orderId);
        last = detail.status;
        return detail.status === status ? detail : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  } catch {
    throw new Error(`order ${orderId} did not reach ${status}; it is ${last}`);
  }
}

/** The history as `FROM>TO` steps, e.g. ['>PENDING', 'PENDING>FAILED']. */
export function steps(detail: Pick<OrderDetail, 'history'>): string[] {
  return detail.history.map(({ from, to }) => `${from ?? ''}>${to}`);
}

export async function placeOrder(baseUrl: string, overrides: Record<string, unknown> = {}) {
  const response = await postOrder(baseUrl, aValidOrder(overrides));
  if (response.status !== 202) throw new Error(`POST order: ${response.status}`);
  return readJson(response);
}

/** An order of one line with exactly this total (minor units), so payment rules can match. */
export function orderOfAmount(amount: number, productId = 'sku-1') {
  return { items: [{ productId, productName: 'Thing', quantity: 1, unitPrice: amount }] };
}

export async function cancel(baseUrl: string, orderId: string, body?: unknown) {
  return fetch(`${baseUrl}/api/v1/orders/${orderId}/cancel`, {
    method: 'POST',
    headers: jsonHeaders,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** The reader's records of one order on one logical topic. */
export function recordsOf(reader: TopicReader, orderId: string, topic: string): DecodedRecord[] {
  return reader.records.filter((r) => r.key === orderId && r.topic.endsWith(`.${topic}`));
}

/** Waits until the reader has at least `count` records of the order on the topic. */
export async function waitForRecords(
  reader: TopicReader,
  orderId: string,
  topic: string,
  count = 1,
): Promise<DecodedRecord[]> {
  return waitFor(
    () => {
      const found = recordsOf(reader, orderId, topic);
      return found.length >= count ? found : undefined;
    },
    { timeoutMs: 20_000, message: `${count} ${topic} record(s) for order ${orderId}` },
  );
}

export interface OutboxRow {
  topic: string;
  event_id: string;
  payload: Record<string, unknown>;
}

export async function outboxOf(app: TestService, orderId: string): Promise<OutboxRow[]> {
  const { rows } = await app.sql.query<OutboxRow>(
    'SELECT topic, event_id, payload FROM outbox WHERE order_id = $1 ORDER BY id',
    [orderId],
  );
  return rows;
}

export async function processedOf(
  app: TestService,
  orderId: string,
): Promise<{ event_id: string; topic: string; outcome: string }[]> {
  const { rows } = await app.sql.query(
    'SELECT event_id, topic, outcome FROM processed_events WHERE order_id = $1 ORDER BY processed_at, event_id',
    [orderId],
  );
  return rows;
}

/** Waits until the consumer recorded the event (so what it did, or did not do, is final). */
export async function waitForProcessed(app: TestService, eventId: string): Promise<string> {
  return waitFor(
    async () => {
      const { rows } = await app.sql.query(
        'SELECT outcome FROM processed_events WHERE event_id = $1',
        [eventId],
      );
      return rows[0]?.outcome as string | undefined;
    },
    { timeoutMs: 20_000, message: `event ${eventId} processed` },
  );
}

/** Counter values of saga_events_total from GET /metrics on the admin port, keyed `topic/outcome`. */
export async function sagaEventCounts(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^saga_events_total\{([^}]*)\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    counts[`${labels.topic}/${labels.outcome}`] = Number(match[2]);
  }
  return counts;
}

export function totalWithOutcome(counts: Record<string, number>, outcome: string): number {
  return Object.entries(counts)
    .filter(([key]) => key.endsWith(`/${outcome}`))
    .reduce((sum, [, value]) => sum + value, 0);
}
