/**
 * Kafka and a schema registry for the tests, chosen once in jest's globalSetup:
 * KAFKA_BROKERS + SCHEMA_REGISTRY_URL when both are set; else real Kafka and Confluent Schema
 * Registry in containers where Docker runs; else librdkafka's mock cluster (kcat) and the
 * registry stand-in. Workers read the choice from TEST_KAFKA_BROKERS / TEST_SCHEMA_REGISTRY_URL.
 */
import { isDockerAvailable, startKafkaStackContainers } from './containers';
import { startMockBroker } from './kafka-mock-broker';
import { startSchemaRegistryStandIn } from './schema-registry-stand-in';

export interface KafkaStackSetup {
  brokers: string[];
  registryUrl: string;
  source: 'environment' | 'testcontainers' | 'kcat mock cluster + registry stand-in';
  teardown(): Promise<void>;
}

export async function setupKafkaStack(): Promise<KafkaStackSetup> {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
  let setup: KafkaStackSetup;
  if (KAFKA_BROKERS && SCHEMA_REGISTRY_URL) {
    setup = {
      brokers: KAFKA_BROKERS.split(','),
      registryUrl: SCHEMA_REGISTRY_URL,
      source: 'environment',
      teardown: async () => undefined,
    };
  } else if (await isDockerAvailable()) {
    const containers = await startKafkaStackContainers();
    setup = { ...containers, source: 'testcontainers', teardown: containers.stop };
  } else {
    const [broker, registry] = await Promise.all([startMockBroker(), startSchemaRegistryStandIn()]);
    setup = {
      brokers: broker.brokers,
      registryUrl: registry.url,
      source: 'kcat mock cluster + registry stand-in',
      teardown: async () => {
        await Promise.all([broker.stop(), registry.stop()]);
      },
    };
  }
  process.env.TEST_KAFKA_BROKERS = setup.brokers.join(',');
  process.env.TEST_SCHEMA_REGISTRY_URL = setup.registryUrl;
  return setup;
}

/** In a test worker: the shared broker and registry chosen by globalSetup. */
export function sharedKafkaStack(): { brokers: string; registryUrl: string } {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  const registryUrl = process.env.TEST_SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl)
    throw new Error('jest globalSetup did not start Kafka (kafka-stack.ts)');
  return { brokers, registryUrl };
}
