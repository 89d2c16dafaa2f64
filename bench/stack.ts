// The pieces a benchmark run needs: broker and registry stand-ins, a fresh migrated database,
// and the built service as a child process (so load generation does not share its event loop).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { startMockBroker, type MockBroker } from '../test/support/kafka-mock-broker';
import { startSchemaRegistryStandIn } from '../test/support/schema-registry-stand-in';
import { createMigratedDatabase } from '../test/support/database';
import { waitFor } from '../test/support/wait-for';

export interface BenchStack {
  serviceUrl: string;
  databaseUrl: string;
  brokers: string[];
  registryUrl: string;
  topicPrefix: string;
  broker: MockBroker;
  stop(): Promise<void>;
}

const SERVER_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export async function startBenchStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const [broker, registry] = await Promise.all([startMockBroker(), startSchemaRegistryStandIn()]);
  const database = await createMigratedDatabase(SERVER_URL, 'order_bench');
  const url = database.url;
  const topicPrefix = `bench${randomBytes(3).toString('hex')}.`;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const service: ChildProcess = spawn(process.execPath, [join(__dirname, '../dist/src/start.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: '10',
      KAFKA_BROKERS: broker.brokers.join(','),
      SCHEMA_REGISTRY_URL: registry.url,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      LOG_LEVEL: 'warn',
      CONSUMER_SESSION_TIMEOUT_MS: '6000',
      CONSUMER_HEARTBEAT_INTERVAL_MS: '500',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const serviceUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${serviceUrl}/ready`)).ok, {
    timeoutMs: 30_000,
    message: 'service did not become ready',
  });
  return {
    serviceUrl,
    databaseUrl: url,
    brokers: broker.brokers,
    registryUrl: registry.url,
    topicPrefix,
    broker,
    async stop() {
      service.kill('SIGTERM');
      if (service.exitCode === null) await once(service, 'exit');
      await Promise.all([broker.stop(), registry.stop()]);
      await database.drop();
    },
  };
}
