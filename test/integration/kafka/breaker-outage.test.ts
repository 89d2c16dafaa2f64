import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { RunningService } from '../../../src/application';
import type { Config } from '../../../src/config';
import { freshDatabase } from '../../support/fixtures/fresh-database';
import { ownBroker } from '../../support/fixtures/own-broker';
import {
  aValidOrder,
  brokerSettings,
  postOrder,
  readJson,
  testConfig,
  startJoinedOrderService,
} from '../../support/order-service-harness';
import { readTopics, type TopicReader } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import {
  ALL_RELAY_SLOTS,
  insertPaymentRequests,
  firstDeliveredAmounts,
  inWriteOrder,
} from '../../support/outbox-fixtures';
import { capturingLogger } from '../../support/capturing-logger';

async function unpublishedCount(sql: Client): Promise<number> {
  const { rows } = await sql.query(
    'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL',
  );
  return rows[0].n;
}

async function readiness(
  adminUrl: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${adminUrl}/ready`);
  return { status: response.status, body: await readJson(response) };
}

// A broker of this file's own: freezing the shared one would stall other test files.
const broker = ownBroker();
const database = freshDatabase();

describe('outbox relay: a Kafka outage opens the breaker, intake goes on, nothing is lost', () => {
  let config: Config;
  let service: RunningService;
  let reader: TopicReader | undefined;
  const logs = capturingLogger();
  const httpOrderIds: string[] = [];
  const sequencedOrderIds = Array.from({ length: 5 }, () => randomUUID());

  beforeAll(async () => {
    config = testConfig({
      DATABASE_URL: database.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      ...brokerSettings(broker.kind === 'mock' ? 'mock' : 'real'),
      KAFKA_REQUEST_TIMEOUT_MS: '500',
      BREAKER_TIMEOUT_MS: '500',
      BREAKER_VOLUME_THRESHOLD: '1',
      BREAKER_ERROR_THRESHOLD_PERCENT: '50',
      BREAKER_RESET_TIMEOUT_MS: '1000',
      OUTBOX_RETRY_MIN_MS: '50',
    });
    service = await startJoinedOrderService(config, logs.logger);
  });
  afterAll(async () => {
    broker?.thaw(); // a failed test may leave it frozen; a frozen broker would hang the shutdown
    await reader?.stop();
    await service?.stop();
  });

  test('when the broker answers, then posted orders are published', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await postOrder(
        service.http.url,
        aValidOrder({ customerId: `before-${i}` }),
      );
      expect(response.status).toBe(202);
      httpOrderIds.push((await readJson(response)).id);
    }

    await waitFor(async () => (await unpublishedCount(database.sql)) === 0, {
      message: 'the first orders published',
    });
    expect((await readiness(service.admin.url)).body.kafkaProducerBreaker).toBe('closed');
  });

  // One story, one test: the outage, and what it leaves once over, need each other.
  test('when the broker hangs, then orders are still accepted and /ready reports the open breaker while staying ready; when it answers again, then the breaker closes and every held event is published, in order per order, and both changes were logged', async () => {
    broker.freeze();

    for (let i = 0; i < 5; i++) {
      // Intake must not wait for Kafka: a POST that did would not answer while the broker is
      // frozen, and the generous abort turns that hang into a clear failure.
      const response = await fetch(`${service.http.url}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(aValidOrder({ customerId: `during-${i}` })),
        signal: AbortSignal.timeout(5_000),
      });
      expect(response.status).toBe(202);
      httpOrderIds.push((await readJson(response)).id);
    }
    for (let sequence = 1; sequence <= 3; sequence++) {
      await insertPaymentRequests(
        database.sql,
        sequencedOrderIds.map((orderId) => ({ orderId, amount: sequence })),
      );
    }

    const ready = await waitFor(
      async () => {
        const answer = await readiness(service.admin.url);
        return answer.body.kafkaProducerBreaker === 'open' ? answer : undefined;
      },
      { message: '/ready to report kafkaProducerBreaker open' },
    );
    expect(ready).toMatchObject({
      status: 200,
      body: {
        status: 'ready',
        checks: { database: { ok: true } },
        outboxRelaySlots: ALL_RELAY_SLOTS,
      },
    });
    // Nothing written during the outage can have been acknowledged by a frozen broker.
    expect(await unpublishedCount(database.sql)).toBe(5 + 5 * 3);

    broker.thaw();

    await waitFor(async () => (await unpublishedCount(database.sql)) === 0, {
      timeoutMs: 30_000,
      message: 'the outbox drained after the outage',
    });
    await waitFor(
      async () => (await readiness(service.admin.url)).body.kafkaProducerBreaker === 'closed',
      { message: 'the breaker closed' },
    );

    // Every row, whether or not the test before the outage ran first.
    const { rows } = await database.sql.query<{ event_id: string }>('SELECT event_id FROM outbox');
    expect(rows.length).toBeGreaterThanOrEqual(5 + 5 * 3);
    reader = await readTopics(config.KAFKA_BROKERS, config.SCHEMA_REGISTRY_URL, [
      `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
    ]);
    const wanted = rows.map((row) => row.event_id);
    const records = await waitFor(
      () => {
        const seen = new Set(reader!.records.map((record) => record.value.eventId));
        return wanted.every((id) => seen.has(id)) ? reader!.records : undefined;
      },
      { timeoutMs: 20_000, message: 'every outbox event on Kafka' },
    );

    const keys = new Set(records.map((record) => record.key));
    for (const orderId of [...httpOrderIds, ...sequencedOrderIds]) expect(keys).toContain(orderId);
    expect(firstDeliveredAmounts(records, sequencedOrderIds)).toEqual(
      inWriteOrder(sequencedOrderIds, 3),
    );

    const messages = logs.entries.map((entry) => entry.message);
    const opened = messages.indexOf('circuit breaker opened: Kafka sends paused');
    const closed = messages.lastIndexOf('circuit breaker closed: Kafka sends resumed');
    expect(opened).toBeGreaterThanOrEqual(0);
    expect(closed).toBeGreaterThan(opened);
    expect(logs.entries[opened]).toMatchObject({ level: 'warn', breaker: 'kafka-producer' });
  }, 90_000);
});
