import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { CONSUMED_TOPICS, physicalTopic } from '../../../src/messaging/topics';
import type { RunningPeers } from '../../peer-simulators/start-peers';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  sharedStackEnv,
} from '../../support/order-service-harness';
import { spawnService, type ServiceProcess } from '../../support/service-process';
import { createServiceTopics } from '../../support/service-topics';
import { readTopics } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';
import { startSimulators } from './saga-fixture';
import { freshDatabase } from '../../support/fixtures/fresh-database';

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../../..');

const database = freshDatabase();

/** The built service (`npm run build`, then `node dist/src/start.js`), stopped with SIGTERM. */
describe('graceful shutdown of the built service', () => {
  let env: Record<string, string>;
  let peers: RunningPeers | undefined;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
    env = {
      ...sharedStackEnv(),
      DATABASE_URL: database.url,
      OUTBOX_RETRY_MIN_MS: '50',
      OUTBOX_RETRY_MAX_MS: '500',
      // Generous for a loaded 2-core machine: the test is about what is kept, not how fast.
      SHUTDOWN_TIMEOUT_MS: '30000',
    };
    await createServiceTopics(testConfig(env)); // before the simulators subscribe
    peers = await startSimulators(testConfig(env), {
      payment: { minLatencyMs: 5, maxLatencyMs: 50 },
      inventory: { minLatencyMs: 5, maxLatencyMs: 50 },
    });
  });
  afterAll(async () => {
    await service?.kill();
    await peers?.stop();
  });

  const count = async (query: string, values: unknown[] = []): Promise<number> =>
    (await database.sql.query(query, values)).rows[0].n;

  test('when SIGTERM arrives under load, then it exits 0, every accepted order is stored and every committed offset was applied', async () => {
    service = await spawnService(env, { built: true });
    const url = service.url;
    const accepted: string[] = [];
    let serving = true;
    // Four clients posting until the service no longer takes connections.
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (serving) {
          try {
            const response = await postOrder(url, aValidOrder());
            if (response.status === 202) accepted.push((await readJson(response)).id);
            else await response.arrayBuffer();
          } catch {
            serving = false; // refused: the listener is closed
          }
        }
      }),
    );
    await waitFor(
      async () => (await count('SELECT count(*)::int AS n FROM processed_events')) >= 20,
      {
        timeoutMs: 60_000,
        message: '20 replies applied before SIGTERM',
      },
    );

    const code = await service.terminate();
    serving = false;
    await load;

    expect({ code, output: code === 0 ? '' : service.output() }).toEqual({ code: 0, output: '' });
    expect(service.output()).toContain('stopped cleanly');
    const stored = await count('SELECT count(*)::int AS n FROM orders WHERE id = ANY($1::uuid[])', [
      accepted,
    ]);
    expect(stored).toBe(accepted.length);

    // Every offset the group committed stands for records the service applied.
    const topics = CONSUMED_TOPICS.map((topic) => physicalTopic(env.KAFKA_TOPIC_PREFIX, topic));
    const kafka = new Kafka({
      clientId: 'shutdown-test',
      brokers: env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const committed = (
      await admin.fetchOffsets({ groupId: env.SAGA_CONSUMER_GROUP, topics })
    ).flatMap(({ topic, partitions }) =>
      partitions.map(({ partition, offset }) => ({ topic, partition, offset: Number(offset) })),
    );
    await admin.disconnect();
    const below = committed.filter(({ offset }) => offset > 0);
    expect(below.length).toBeGreaterThan(0);
    const reader = await readTopics(env.KAFKA_BROKERS.split(','), env.SCHEMA_REGISTRY_URL, topics);
    try {
      const seen = (topic: string, partition: number, offset: number) =>
        reader.records.some(
          (r) => r.topic === topic && r.partition === partition && Number(r.offset) === offset,
        );
      await waitFor(
        () => below.every(({ topic, partition, offset }) => seen(topic, partition, offset - 1)),
        {
          timeoutMs: 60_000,
          message: 'every committed record read back',
        },
      );
      const committedRecords = reader.records.filter((record) =>
        below.some(
          ({ topic, partition, offset }) =>
            record.topic === topic &&
            record.partition === partition &&
            Number(record.offset) < offset,
        ),
      );
      const eventIds = committedRecords.map((record) => record.headers['event-id']);
      const applied = await count(
        'SELECT count(*)::int AS n FROM processed_events WHERE event_id = ANY($1::text[])',
        [eventIds],
      );
      expect(applied).toBe(eventIds.length);
    } finally {
      await reader.stop();
    }
  });

  test('when a request arrives while an earlier one drains, then the earlier completes (202, Connection: close), new connections are refused, and nothing is reset', async () => {
    service = await spawnService(env, { built: true });
    const { port } = new URL(service.url);
    const body = JSON.stringify(aValidOrder());
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let resetError: Error | undefined;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (error) => (resetError = error));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    const head = (length: number) =>
      `POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    // Half a request: it is in flight when SIGTERM comes, and holds the drain open.
    socket.write(head(body.length) + body.slice(0, 10));
    await waitFor(async () => (await fetch(`${service?.url}/health`)).ok, { timeoutMs: 10_000 });

    const exited = service.terminate();
    await waitFor(async () => (await fetch(`${service?.adminUrl}/ready`)).status === 503, {
      timeoutMs: 20_000,
      message: '/ready turning 503',
    });
    // A new connection is refused (nothing accepted, safe to retry elsewhere).
    const refused = await fetch(service.url).catch((error: Error) => error.cause);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    // The rest of the first request, and a second one right behind it on the same connection.
    socket.write(body.slice(10) + head(body.length) + body);
    await closed;

    // Node answers the request in flight and marks it as the connection's last; the one behind
    // it is never taken (no 202 for an order that is not stored), and the close is clean.
    const statuses = [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => match[1]);
    expect(resetError).toBeUndefined();
    expect(statuses).toEqual(['202']);
    expect(received).toMatch(/^connection: close\r$/im);
    expect(await exited).toBe(0);
  });

  test('when SIGTERM arrives while the saga consumer is still joining its group, then it exits 0 and logs no error', async () => {
    const fresh = `shutdown-joining-${Date.now()}`;
    const joining = {
      ...env,
      KAFKA_TOPIC_PREFIX: `${fresh}.`,
      SAGA_CONSUMER_GROUP: fresh,
      LOG_LEVEL: 'info', // kafkajs' own error lines are what this test looks for
    };
    await createServiceTopics(testConfig(joining));
    // A member already in the group that rejoins only at its next heartbeat, 3 s apart: the
    // service's join waits for it, as a new instance's does in a rolling deployment.
    const kafka = new Kafka({
      clientId: 'slow-member',
      brokers: env.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const member = kafka.consumer({
      groupId: fresh,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 100, // fetches return at once, so each heartbeat is on time
    });
    const joined = new Promise((resolve) => member.on(member.events.GROUP_JOIN, resolve));
    await member.connect();
    await member.subscribe({
      topics: CONSUMED_TOPICS.map((topic) => physicalTopic(joining.KAFKA_TOPIC_PREFIX, topic)),
    });
    await member.run({ eachBatch: async () => undefined });
    await joined;
    try {
      service = await spawnService(joining, { built: true });
      const running = service;
      await waitFor(() => running.output().includes('topics provisioned'), {
        timeoutMs: 30_000,
        message: 'the topics provisioned',
      });
      await new Promise((resolve) => setTimeout(resolve, 500)); // its JoinGroup is with the broker
      const report = (await (await fetch(`${service.adminUrl}/ready`)).json()) as {
        sagaConsumer?: string;
      };
      expect(report.sagaConsumer).toBe('joining');

      const code = await service.terminate();

      const errors = service
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":"error"'));
      expect({ code, errors }).toEqual({ code: 0, errors: [] });
      expect(service.output()).toContain('stopped cleanly');
    } finally {
      await member.disconnect();
    }
  });
});
