// The pieces a benchmark run needs. Local services once per run (test/support/local-services:
// embedded Postgres, the real Kafka broker in a local JVM and Apicurio where Java runs, unless
// DATABASE_URL / KAFKA_BROKERS / SCHEMA_REGISTRY_URL say otherwise); then, per scenario, a fresh
// stack: a migrated database, its own topic prefix and topics, and the built service as a child
// process, so load generation does not share its event loop and its memory can be read.
// The service checks tokens as in production (AUTH_MODE=jwt, HS256, a secret of this run's own),
// so intake figures include verifying one; the rate limit is off, the bench is one customer.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka } from '../src/messaging/kafka-client-factory';
import { createTopics, serviceTopics } from '../src/messaging/topic-provisioning';
import { createLogger } from '../src/shared/logger';
import { customerToken, jwtSettings } from '../test/support/auth-tokens';
import { createMigratedDatabase } from '../test/support/database';
import type { KafkaFlavour } from '../test/support/kafka-stack';
import type { LocalServices } from '../test/support/local-services';
import { freePort } from '../test/support/processes';
import { waitFor } from '../test/support/wait-for';

export interface BenchStack {
  serviceUrl: string;
  /** Every instance's API (the first is `serviceUrl`). */
  serviceUrls: string[];
  /** Metrics and the detailed readiness report. */
  adminUrl: string;
  /** Every instance's admin port (the first is `adminUrl`). */
  adminUrls: string[];
  /** Headers every API call carries: the bench customer's bearer token. */
  authorization: Record<string, string>;
  databaseUrl: string;
  brokers: string[];
  registryUrl: string;
  topicPrefix: string;
  flavour: KafkaFlavour;
  /** The (first) service process, for its memory. */
  pid: number;
  /** Every service process. */
  pids: number[];
  /** Creates topics of the bench's own (a real broker creates none on first use). */
  ensureTopics(names: string[]): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..');

/** `npm start`'s node arguments (its heap ceiling included): the bench runs what ships. */
export function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [program, ...args] = scripts.start.split(/\s+/);
  if (program !== 'node') throw new Error(`npm start runs ${program}, not node`);
  return args;
}

export interface ServiceEnvironmentOptions {
  port: number;
  adminPort: number;
  databaseUrl: string;
  kafka: LocalServices['kafka'];
  topicPrefix: string;
  /** Extra or overriding settings. */
  env?: Record<string, string>;
}

/** The clean environment of a service process on these local services (no `...process.env`). */
export function serviceEnvironment(options: ServiceEnvironmentOptions): Record<string, string> {
  const { kafka } = options;
  return {
    PATH: process.env.PATH ?? '',
    PORT: String(options.port),
    ADMIN_PORT: String(options.adminPort),
    ...jwtSettings(),
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    RATE_LIMIT_CANCELS_PER_MINUTE: '0',
    DATABASE_URL: options.databaseUrl,
    KAFKA_BROKERS: kafka.brokers.join(','),
    SCHEMA_REGISTRY_URL: kafka.registryUrl,
    KAFKA_TOPIC_PREFIX: options.topicPrefix,
    KAFKA_IDEMPOTENT_PRODUCER: String(kafka.flavour !== 'mock'),
    LOG_LEVEL: 'warn',
    CONSUMER_SESSION_TIMEOUT_MS: '6000',
    CONSUMER_HEARTBEAT_INTERVAL_MS: '500',
    ...options.env,
  };
}

/**
 * A fresh database, topic set and service process on the run's local services; `instances`
 * service processes share them when more than one (as a scaled-out deployment). `nodeArgs` go
 * after `npm start`'s flags, so they win over them (e.g. `--cpu-prof`, which NODE_OPTIONS may not
 * carry, or `--no-liftoff-only` to compare without one).
 */
export async function startBenchStack(
  services: LocalServices,
  env: Record<string, string> = {},
  instances = 1,
  nodeArgs: string[] = [],
): Promise<BenchStack> {
  const { kafka, postgres } = services;
  const database = await createMigratedDatabase(postgres.adminUrl, 'order_bench');
  const topicPrefix = `bench${randomBytes(3).toString('hex')}.`;
  const topicClient = createKafka({
    clientId: 'bench-topics',
    brokers: kafka.brokers,
    requestTimeoutMs: 10_000,
    logger: createLogger('silent'),
  });
  const ensureTopics = async (names: string[]): Promise<void> => {
    if (kafka.flavour === 'mock') return; // it creates topics on first use
    await createTopics(topicClient, names, { partitions: 6, replicationFactor: 1 });
  };
  await ensureTopics(serviceTopics(topicPrefix));
  const started: Array<{ process: ChildProcess; url: string; adminUrl: string }> = [];
  for (let i = 0; i < instances; i++) {
    const [port, adminPort] = await Promise.all([freePort(), freePort()]);
    const start = startArguments();
    const args = [...start.slice(0, -1), ...nodeArgs, ...start.slice(-1)];
    const child: ChildProcess = spawn(process.execPath, args, {
      cwd: ROOT,
      env: serviceEnvironment({
        port,
        adminPort,
        databaseUrl: database.url,
        kafka,
        topicPrefix,
        env,
      }),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    started.push({ process: child, url, adminUrl: `http://127.0.0.1:${adminPort}` });
    await waitFor(async () => (await fetch(`${url}/ready`)).ok, {
      timeoutMs: 60_000,
      message: 'service did not become ready',
    });
  }
  const [first] = started as [(typeof started)[number]];
  return {
    serviceUrl: first.url,
    serviceUrls: started.map((instance) => instance.url),
    adminUrl: first.adminUrl,
    adminUrls: started.map((instance) => instance.adminUrl),
    authorization: {
      authorization: `Bearer ${await customerToken('bench-customer', { expiresIn: 3_600 })}`,
    },
    databaseUrl: database.url,
    brokers: kafka.brokers,
    registryUrl: kafka.registryUrl,
    topicPrefix,
    flavour: kafka.flavour,
    pid: first.process.pid as number,
    pids: started.map((instance) => instance.process.pid as number),
    ensureTopics,
    async stop() {
      await Promise.all(
        started.map(async ({ process: child }) => {
          if (child.exitCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          await exited;
        }),
      );
      await database.drop();
    },
  };
}
