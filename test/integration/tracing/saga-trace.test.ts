import type { Config } from '../../../src/config';
import { physicalTopic } from '../../../src/messaging/topics';
import type { RunningPeers } from '../../peer-simulators/start-peers';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  sharedStackEnv,
} from '../../support/order-service-harness';
import { startOtlpCollector, type OtlpCollector } from '../../support/otlp-collector';
import { spawnService, type ServiceProcess } from '../../support/service-process';
import { createServiceTopics } from '../../support/service-topics';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { startSimulators } from '../saga/saga-fixture';
import { freshDatabase } from '../../support/fixtures/fresh-database';

jest.setTimeout(150_000);

const SERVER = 2;
const PRODUCER = 4;
const CONSUMER = 5;

/** `00-<trace id>-<span id>-<flags>` */
function parseTraceparent(value: string | null | undefined) {
  const [, traceId, spanId] =
    /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value ?? '') ?? [];
  return { traceId, spanId };
}

const database = freshDatabase();

/**
 * The service as its real entry point (src/start.ts, tracing on through the standard OTEL_*
 * variables) exports its spans over OTLP to a collector in the test; the peer simulators answer
 * over the real broker and carry the traceparent on, as instrumented peers do.
 */
describe('tracing: one order, one trace across HTTP, the outbox, Kafka and the consumer', () => {
  let collector: OtlpCollector;
  let config: Config;
  let peers: RunningPeers | undefined;
  let reader: TopicReader | undefined;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    collector = await startOtlpCollector();
    const env = {
      ...sharedStackEnv(),
      DATABASE_URL: database.url,
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    config = testConfig(env);
    await createServiceTopics(config);
    await Promise.all([
      startSimulators(config).then((started) => (peers = started)),
      readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
        physicalTopic(config.KAFKA_TOPIC_PREFIX, 'order_confirmed'),
      ]).then((started) => (reader = started)),
      spawnService(env, { outputLimit: 400_000 }).then((started) => (service = started)),
    ]);
  });
  afterAll(async () => {
    await service?.kill();
    await Promise.allSettled([peers?.stop(), reader?.stop()]);
    await collector?.stop();
  });

  test('the spans of one saga, from POST to the handling of the last reply, share one trace id', async () => {
    const running = service as ServiceProcess;
    const order = await readJson(await postOrder(running.url, aValidOrder()));
    await waitFor(
      async () =>
        (await readJson(await fetch(`${running.url}/api/v1/orders/${order.id}`))).status ===
        'CONFIRMED',
      { timeoutMs: 60_000, message: 'order not confirmed' },
    );
    const [confirmed] = await (reader as TopicReader).waitForCount(1, 30_000);

    const post = () =>
      collector.spans.find(
        (span) => span.kind === SERVER && span.attributes['http.request.method'] === 'POST',
      );
    await waitFor(async () => post() !== undefined, { message: 'no span for the POST' });
    const traceId = post()?.traceId;
    // The create route runs without Express, and still names its route as Express's does.
    expect(post()?.attributes['http.route']).toBe('/api/v1/orders');
    expect(post()?.name).toBe('POST /api/v1/orders');

    // Both replies handled by the consumer, each in its own span, in the POST's trace.
    const handled = () =>
      collector.spans.filter(
        (span) => span.kind === CONSUMER && span.attributes['order.id'] === order.id,
      );
    await waitFor(async () => handled().length === 2, {
      timeoutMs: 30_000,
      message: 'no consumer spans for both replies',
    });
    expect(
      handled()
        .map((span) => span.name.split('.').pop())
        .sort(),
    ).toEqual(['inventory_reserved', 'payment_successful']);
    expect(handled().map((span) => span.traceId)).toEqual([traceId, traceId]);

    // What the outbox stored for order_confirmed, and what is on the record in Kafka: the
    // relay's send span (a child of the stored context) in the same trace.
    const { rows } = await database.sql.query<{ traceparent: string | null }>(
      `SELECT traceparent FROM outbox WHERE order_id = $1 AND topic = 'order_confirmed'`,
      [order.id],
    );
    const stored = parseTraceparent(rows[0]?.traceparent);
    const onRecord = parseTraceparent(confirmed?.headers.traceparent);
    expect(stored.traceId).toBe(traceId);
    expect(onRecord.traceId).toBe(traceId);
    await waitFor(async () => collector.spans.some((span) => span.spanId === onRecord.spanId), {
      message: 'no span for the send of order_confirmed',
    });
    const send = collector.spans.find((span) => span.spanId === onRecord.spanId);
    expect(send).toMatchObject({ kind: PRODUCER, parentSpanId: stored.spanId, traceId });

    // Log lines about this order written while handling its replies carry the trace id.
    const lines = running
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const applied = lines.filter(
      (line) => line.message === 'saga event applied' && line.orderId === order.id,
    );
    expect(applied).toHaveLength(2);
    expect(applied.map((line) => line.trace_id)).toEqual([traceId, traceId]);
    const request = lines.find(
      (line) => line.message === 'request completed' && line.method === 'POST',
    );
    expect(request).toMatchObject({ orderId: order.id, trace_id: traceId });
  });
});
