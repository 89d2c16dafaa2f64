/**
 * `npm run demo`: the whole saga on one machine, in well under a minute. Starts Postgres, Kafka
 * and a schema registry (test/support/local-services.ts: DATABASE_URL, KAFKA_BROKERS and
 * SCHEMA_REGISTRY_URL when set, else an embedded Postgres, a real Kafka broker in a local JVM
 * or the kcat mock, and the registry stand-in), a fresh migrated database, the order service
 * with short deadlines, and the simulated payment and inventory services; places one order per
 * saga path over HTTP, waits until every one is final, prints their journeys, and tears it all
 * down. Exit 0, or 1 with one line saying what failed. The service checks tokens as in
 * production (AUTH_MODE=jwt, a secret of this run's own); the demo customer's calls carry one.
 * With `--console`, the stack stays up after the scenarios and the operator console's address
 * and an operator token are printed (scripts/demo/console-mode.ts); Ctrl-C tears it down.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startOrderService } from '../src/application';
import { loadConfig } from '../src/config';
import { startPeers } from '../test/peer-simulators/start-peers';
import { createLogger } from '../src/shared/logger';
import { customerToken, jwtSettings } from '../test/support/auth-tokens';
import { createMigratedDatabase } from '../test/support/database';
import { MOCK_BROKER_CONSUMER_TUNING } from '../test/support/kafka-mock-broker';
import { startLocalServices } from '../test/support/local-services';
import { firstLineOf } from '../test/support/service-start-error';
import { createServiceTopics } from '../test/support/service-topics';
import { printConsoleAccess } from './demo/console-mode';
import { journeyTable, type Journey } from './demo/journey-table';
import { createOrderClient, poll, type OrderResource } from './demo/order-client';
import { isTerminal, SCENARIOS, type Scenario } from './demo/scenarios';

const { values: options } = parseArgs({
  options: { console: { type: 'boolean', default: false } },
});

const PAYMENT_TIMEOUT_MS = 3_000;
const INVENTORY_TIMEOUT_MS = 3_000;

/** Things to stop, most recent first. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];
const startedAt = Date.now();

function progress(line: string): void {
  const seconds = ((Date.now() - startedAt) / 1_000).toFixed(1).padStart(4);
  process.stderr.write(`[${seconds}s] ${line}\n`);
}

async function main(): Promise<void> {
  const services = await startLocalServices();
  cleanups.unshift({ name: 'stop Postgres, Kafka and the registry', run: services.stop });
  progress(services.summary);
  const database = await createMigratedDatabase(services.postgres.adminUrl, 'order_demo');
  cleanups.unshift({ name: 'drop the demo database', run: database.drop });
  const { kafka } = services;
  progress(
    `database migrated, broker on ${kafka.brokers.join(',')}, registry on ${kafka.registryUrl}`,
  );

  const config = loadConfig({
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    SCHEMA_REGISTRY_URL: kafka.registryUrl,
    ...(kafka.flavour === 'mock'
      ? { KAFKA_IDEMPOTENT_PRODUCER: 'false' }
      : {
          KAFKA_CREATE_TOPICS: 'true',
          KAFKA_TOPIC_PARTITIONS: '3',
          KAFKA_REPLICATION_FACTOR: '1',
        }),
    KAFKA_TOPIC_PREFIX: 'demo.',
    SAGA_CONSUMER_GROUP: `demo-saga-${randomBytes(3).toString('hex')}`,
    PORT: '0',
    ADMIN_PORT: '0',
    ...jwtSettings(),
    LOG_LEVEL: 'silent',
    SAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
    SAGA_INVENTORY_TIMEOUT_MS: String(INVENTORY_TIMEOUT_MS),
    SAGA_SWEEP_INTERVAL_MS: '250',
    CONSUMER_SESSION_TIMEOUT_MS: String(MOCK_BROKER_CONSUMER_TUNING.sessionTimeout),
    CONSUMER_HEARTBEAT_INTERVAL_MS: String(MOCK_BROKER_CONSUMER_TUNING.heartbeatInterval),
    SHUTDOWN_TIMEOUT_MS: '2000',
  });
  // Before anything subscribes: on a real broker, topics exist only once created.
  await createServiceTopics(config);
  const [service] = await allStarted([
    startOrderService(config).then((service) => {
      cleanups.unshift({ name: 'stop the order service', run: service.stop });
      progress(`order service on ${service.http.url}`);
      return service;
    }),
    startPeers({
      brokers: config.KAFKA_BROKERS,
      registryUrl: config.SCHEMA_REGISTRY_URL,
      topicPrefix: config.KAFKA_TOPIC_PREFIX,
      payment: { minLatencyMs: 50, maxLatencyMs: 250 },
      inventory: { minLatencyMs: 50, maxLatencyMs: 250 },
      consumer: {
        sessionTimeoutMs: MOCK_BROKER_CONSUMER_TUNING.sessionTimeout,
        heartbeatIntervalMs: MOCK_BROKER_CONSUMER_TUNING.heartbeatInterval,
        maxWaitTimeInMs: MOCK_BROKER_CONSUMER_TUNING.maxWaitTimeInMs,
      },
      logger: createLogger('silent'),
    }).then((peers) => {
      cleanups.unshift({ name: 'stop the simulated peers', run: peers.stop });
      progress('simulated payment and inventory services consuming');
      return peers;
    }),
  ]);
  const journeys = await runScenarios(service.http.url);
  if (!options.console) return;
  await printConsoleAccess(service.admin.url, journeys);
  await new Promise<void>((resolve) => (stopConsole = resolve));
}

/** Set while `--console` keeps the stack up: Ctrl-C then ends the demo normally. */
let stopConsole: (() => void) | undefined;

/** Like Promise.all, but waits for every start to settle, so each one's cleanup is known. */
async function allStarted<T extends readonly unknown[]>(
  starts: [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(starts);
  const failed = results.find(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as never;
}

const CUSTOMER = 'demo-customer';

async function runScenarios(baseUrl: string): Promise<Journey[]> {
  const client = createOrderClient(baseUrl, await customerToken(CUSTOMER, { expiresIn: 600 }));
  const run = `demo-${randomBytes(3).toString('hex')}`;
  progress(`placing ${SCENARIOS.length} orders; deadlines ${PAYMENT_TIMEOUT_MS / 1_000} s`);
  const journeys = await Promise.all(
    SCENARIOS.map((scenario, index) => journeyOf(client, scenario, `${run}-${index}`)),
  );
  progress('every order is final');
  process.stdout.write(`\nOrder journeys (times from placement)\n\n${journeyTable(journeys)}\n\n`);
  const wrong = journeys.filter((journey, index) => journey.status !== SCENARIOS[index]?.expected);
  if (wrong.length > 0) {
    const list = wrong.map((journey) => `${journey.scenario} ended ${journey.status}`);
    throw new Error(`unexpected outcome: ${list.join('; ')}`);
  }
  return journeys;
}

async function journeyOf(
  client: ReturnType<typeof createOrderClient>,
  scenario: Scenario,
  idempotencyKey: string,
): Promise<Journey> {
  const placed = await client.place(
    { customerId: CUSTOMER, currency: 'EUR', items: scenario.items },
    idempotencyKey,
  );
  const reach = (done: (order: OrderResource) => boolean, what: string) =>
    poll(async () => {
      const order = await client.get(placed.id);
      return done(order) ? order : undefined;
    }, `"${scenario.name}" ${what}`);
  if (scenario.cancelWhen) {
    const target = scenario.cancelWhen;
    await reach((order) => order.status === target, `to reach ${target}`);
    await client.cancel(placed.id, 'changed my mind');
  }
  const final = await reach((order) => isTerminal(order.status), 'to end');
  return {
    scenario: scenario.name,
    orderId: final.id,
    status: final.status,
    placedAt: final.createdAt,
    history: final.history ?? [],
  };
}

/** Stops everything that was started, newest first; a failing step does not skip the rest. */
async function cleanUp(): Promise<boolean> {
  let clean = true;
  for (const { name, run } of cleanups.splice(0)) {
    try {
      await run();
    } catch (error) {
      clean = false;
      process.stderr.write(`demo: could not ${name}: ${firstLineOf(error)}\n`);
    }
  }
  return clean;
}

let finishing = false;
async function finish(failure: unknown): Promise<never> {
  finishing = true;
  if (failure !== undefined) process.stderr.write(`demo failed: ${firstLineOf(failure)}\n`);
  const clean = await cleanUp();
  if (failure === undefined && clean) {
    progress('stopped the service, peers, broker and registry; dropped the demo database');
  }
  process.exit(failure === undefined && clean ? 0 : 1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopConsole) stopConsole();
    else if (!finishing) void finish(new Error(`interrupted by ${signal}`));
  });
}

main().then(
  () => finish(undefined),
  (error: unknown) => finish(error),
);
