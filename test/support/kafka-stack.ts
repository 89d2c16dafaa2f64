/**
 * Kafka and a schema registry, chosen once per run (jest's globalSetup, the demo, the bench,
 * the local stack):
 * - Kafka: KAFKA_BROKERS if set; else cp-kafka in testcontainers where Docker runs (tests only);
 *   else a real Apache Kafka broker in a local JVM; else librdkafka's mock cluster (kcat).
 * - Registry: SCHEMA_REGISTRY_URL if set; else cp-schema-registry beside cp-kafka in
 *   testcontainers; else Apicurio Registry (Confluent API) in a local JVM; else the registry
 *   stand-in. TEST_SCHEMA_REGISTRY=stand-in picks the stand-in even where Java runs.
 * Test workers read the choice from TEST_KAFKA_* environment variables.
 */
import { isDockerAvailable, startKafkaStackContainers } from './containers';
import { apicurioUnavailableReason, startApicurioRegistry } from './apicurio-registry';
import { startSchemaRegistryStandIn } from './schema-registry-stand-in';
import { startTestBroker, type TestBroker } from './test-broker';

/** `mock` lacks CreateTopics, the idempotent producer and admin offset operations. */
export type KafkaFlavour = 'real' | 'mock';

export interface KafkaStack {
  brokers: string[];
  registryUrl: string;
  flavour: KafkaFlavour;
  /** The broker this run started itself, for fault injection; absent when given or containers. */
  broker?: TestBroker;
  /** One phrase each, for the set-up line. */
  kafkaDescription: string;
  registryDescription: string;
  stop(): Promise<void>;
}

export interface KafkaStackOptions {
  /** Try testcontainers when nothing is given (tests do; the demo and the bench do not). */
  containers?: boolean;
}

export async function startKafkaStack(options: KafkaStackOptions = {}): Promise<KafkaStack> {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
  const stops: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    await Promise.all(stops.splice(0).map((run) => run()));
  };
  try {
    if (!KAFKA_BROKERS && options.containers && (await isDockerAvailable())) {
      const containers = await startKafkaStackContainers();
      stops.push(containers.stop);
      return {
        brokers: containers.brokers,
        registryUrl: SCHEMA_REGISTRY_URL || containers.registryUrl,
        flavour: 'real',
        kafkaDescription: `${containers.kafkaImage} (testcontainers)`,
        registryDescription: SCHEMA_REGISTRY_URL
          ? `SCHEMA_REGISTRY_URL`
          : `${containers.registryImage} (testcontainers)`,
        stop,
      };
    }
    const [broker, registry] = await Promise.all([
      KAFKA_BROKERS ? undefined : startTestBroker(),
      SCHEMA_REGISTRY_URL ? undefined : startLocalRegistry(),
    ]);
    if (broker) stops.push(broker.stop);
    if (registry) stops.push(registry.stop);
    return {
      brokers: broker?.brokers ?? splitList(KAFKA_BROKERS ?? ''),
      registryUrl: registry?.url ?? (SCHEMA_REGISTRY_URL as string),
      flavour: broker?.kind === 'mock' ? 'mock' : 'real',
      ...(broker ? { broker } : {}),
      kafkaDescription: broker?.description ?? `KAFKA_BROKERS (${KAFKA_BROKERS})`,
      registryDescription: registry?.description ?? `SCHEMA_REGISTRY_URL (${SCHEMA_REGISTRY_URL})`,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** Apicurio where Java runs (unless TEST_SCHEMA_REGISTRY=stand-in), else the stand-in. */
async function startLocalRegistry(): Promise<{
  url: string;
  description: string;
  stop(): Promise<void>;
}> {
  if (process.env.TEST_SCHEMA_REGISTRY !== 'stand-in' && !apicurioUnavailableReason()) {
    return startApicurioRegistry();
  }
  const standIn = await startSchemaRegistryStandIn();
  return { ...standIn, description: 'stand-in (test/support/schema-registry-stand-in.ts)' };
}

function splitList(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

const BROKERS_ENV = 'TEST_KAFKA_BROKERS';
const REGISTRY_ENV = 'TEST_SCHEMA_REGISTRY_URL';
const FLAVOUR_ENV = 'TEST_KAFKA_FLAVOUR';

/** For jest's globalSetup: publishes the stack to the test workers through process.env. */
export function publishKafkaStack(stack: KafkaStack): void {
  process.env[BROKERS_ENV] = stack.brokers.join(',');
  process.env[REGISTRY_ENV] = stack.registryUrl;
  process.env[FLAVOUR_ENV] = stack.flavour;
}

/** In a test worker: the shared broker and registry chosen by globalSetup. */
export function sharedKafkaStack(): {
  brokers: string;
  registryUrl: string;
  flavour: KafkaFlavour;
} {
  const brokers = process.env[BROKERS_ENV];
  const registryUrl = process.env[REGISTRY_ENV];
  if (!brokers || !registryUrl)
    throw new Error('jest globalSetup did not start Kafka (kafka-stack.ts)');
  const flavour = process.env[FLAVOUR_ENV] === 'mock' ? 'mock' : 'real';
  return { brokers, registryUrl, flavour };
}
