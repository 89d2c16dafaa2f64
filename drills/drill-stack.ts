// What every drill runs on: a fresh database and topic set on the run's local services, TWO
// instances of the built service sharing them (one consumer group, one relay leader at a time),
// and the simulated peers, whose effects go into a ledger for the invariant check.
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { serviceEnvironment } from '../bench/stack';
import { createKafka } from '../src/messaging/kafka-client-factory';
import { createTopics, serviceTopics } from '../src/messaging/topic-provisioning';
import { createLogger } from '../src/shared/logger';
import {
  startPeers,
  type PeersConfig,
  type RunningPeers,
} from '../test/peer-simulators/start-peers';
import { customerToken } from '../test/support/auth-tokens';
import { createMigratedDatabase, type TestDatabase } from '../test/support/database';
import type { LocalServices } from '../test/support/local-services';
import { freePort } from '../test/support/processes';
import { createPeerLedger, type PeerLedger } from './peer-ledger';
import { serviceInstance, type ServiceInstance } from './service-instance';

export const SAGA_GROUP = 'drill-saga';

export interface DrillStack {
  services: LocalServices;
  instances: ServiceInstance[];
  databaseUrl: string;
  /** A small pool for the drill's own reads. */
  pool: Pool;
  topicPrefix: string;
  ledger: PeerLedger;
  authorization: Record<string, string>;
  stop(): Promise<void>;
}

export interface DrillStackOptions {
  /** Settings for both instances. */
  env?: Record<string, string>;
  /** The registry URL the instances use (a drill may put a proxy in between). */
  registryUrl?: string;
  /** The simulated peers' outcome settings (their reply latency, say). */
  peers?: Pick<PeersConfig, 'payment' | 'inventory'>;
  /** Another build of the service to run (drills/self-check.ts); this checkout's by default. */
  serviceRoot?: string;
}

export async function startDrillStack(
  services: LocalServices,
  options: DrillStackOptions = {},
): Promise<DrillStack> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const database: TestDatabase = await createMigratedDatabase(
      services.postgres.adminUrl,
      'drill',
    );
    stops.push(() => database.drop());
    const topicPrefix = `drill${randomBytes(3).toString('hex')}.`;
    const admin = createKafka({
      clientId: 'drill-topics',
      brokers: services.kafka.brokers,
      requestTimeoutMs: 10_000,
      logger: createLogger('silent'),
    });
    await createTopics(admin, serviceTopics(topicPrefix), { partitions: 6, replicationFactor: 1 });
    const env = (registryUrl: string) =>
      serviceEnvironment({
        port: 0,
        adminPort: 0,
        databaseUrl: database.url,
        kafka: { ...services.kafka, registryUrl },
        topicPrefix,
        env: { SAGA_CONSUMER_GROUP: SAGA_GROUP, LOG_LEVEL: 'error', ...options.env },
      });
    const instances: ServiceInstance[] = [];
    for (const name of ['instance-a', 'instance-b']) {
      const ports = { port: await freePort(), adminPort: await freePort() };
      instances.push(
        serviceInstance(
          name,
          ports,
          env(options.registryUrl ?? services.kafka.registryUrl),
          options.serviceRoot,
        ),
      );
    }
    stops.push(() => Promise.all(instances.map((instance) => instance.crash())));
    await Promise.all(instances.map((instance) => instance.start()));
    const ledger = createPeerLedger();
    const peers: RunningPeers = await startPeers({
      brokers: services.kafka.brokers,
      registryUrl: services.kafka.registryUrl,
      topicPrefix,
      consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeInMs: 100 },
      logger: createLogger('silent'),
      onEffect: (peer, effect) => ledger.record(peer, effect),
      ...options.peers,
    });
    stops.push(() => peers.stop());
    const pool = new Pool({ connectionString: database.url, max: 2 });
    pool.on('error', () => undefined); // a database restart drill cuts these too
    stops.push(() => pool.end());
    // Orderly stop first (a clean shutdown is part of what ships), then the group kill.
    stops.push(() => Promise.all(instances.map((instance) => instance.stop())));
    return {
      services,
      instances,
      databaseUrl: database.url,
      pool,
      topicPrefix,
      ledger,
      authorization: {
        authorization: `Bearer ${await customerToken('drill-customer', { expiresIn: 3_600 })}`,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
