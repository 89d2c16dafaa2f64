/**
 * Real Kafka + Confluent Schema Registry in containers, for machines WITH a Docker engine.
 *
 * testcontainers is imported lazily, so merely importing this file never touches Docker; it is
 * pinned to 11.x because 12.x needs Node >= 22 (its undici crashes at require time on Node 20).
 */
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';

export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';
export const SCHEMA_REGISTRY_IMAGE = 'confluentinc/cp-schema-registry:7.9.0';

export interface KafkaStackContainers {
  brokers: string[];
  registryUrl: string;
  kafkaImage: string;
  registryImage: string;
  stop(): Promise<void>;
}

/** True when testcontainers loads and finds a container runtime (Docker socket, DOCKER_HOST...). */
export async function isDockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startKafkaStackContainers(): Promise<KafkaStackContainers> {
  const { GenericContainer, Network, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const started: Array<StartedTestContainer | StartedNetwork> = [];
  const stop = async (): Promise<void> => {
    for (const resource of started.splice(0).reverse()) await resource.stop();
  };
  try {
    const network = await new Network().start();
    started.push(network);
    // The alias becomes the advertised in-network listener: BROKER://kafka:9092.
    const kafka = await new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      // As production clusters run: every topic is created on purpose.
      .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
      .withNetwork(network)
      .withNetworkAliases('kafka')
      .start();
    started.push(kafka);
    const registry = await new GenericContainer(SCHEMA_REGISTRY_IMAGE)
      .withNetwork(network)
      .withNetworkAliases('schema-registry')
      .withExposedPorts(8081)
      .withEnvironment({
        SCHEMA_REGISTRY_HOST_NAME: 'schema-registry',
        SCHEMA_REGISTRY_LISTENERS: 'http://0.0.0.0:8081',
        SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS: 'PLAINTEXT://kafka:9092',
      })
      .withWaitStrategy(Wait.forHttp('/subjects', 8081).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    started.push(registry);
    return {
      // 9093 is KafkaContainer's host-facing PLAINTEXT listener.
      brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
      kafkaImage: KAFKA_IMAGE,
      registryImage: SCHEMA_REGISTRY_IMAGE,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
