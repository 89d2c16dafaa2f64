/**
 * Postgres, Kafka and a schema registry for one run of the tests, the demo, the bench or the
 * local stack: what the environment names (DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL),
 * else what this machine can start itself (see database.ts and kafka-stack.ts).
 */
import { startPostgresServer, type PostgresServer } from './database';
import { startKafkaStack, type KafkaStack } from './kafka-stack';

export interface LocalServices {
  postgres: PostgresServer;
  kafka: KafkaStack;
  /** One line naming what runs, e.g. `Postgres: embedded PostgreSQL 15.18 | Kafka: ...`. */
  summary: string;
  stop(): Promise<void>;
}

export interface LocalServicesOptions {
  /** Try testcontainers for Kafka and the registry where Docker runs (the tests do). */
  containers?: boolean;
  /** fsync off on an embedded Postgres: for throwaway test databases only. */
  fastPostgres?: boolean;
}

export async function startLocalServices(
  options: LocalServicesOptions = {},
): Promise<LocalServices> {
  const [postgres, kafka] = await Promise.allSettled([
    startPostgresServer({ fast: options.fastPostgres ?? false }),
    startKafkaStack({ containers: options.containers ?? false }),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all([
      postgres.status === 'fulfilled' ? postgres.value.stop() : undefined,
      kafka.status === 'fulfilled' ? kafka.value.stop() : undefined,
    ]);
  };
  if (postgres.status === 'rejected' || kafka.status === 'rejected') {
    await stop().catch(() => undefined);
    throw postgres.status === 'rejected'
      ? postgres.reason
      : (kafka as PromiseRejectedResult).reason;
  }
  return {
    postgres: postgres.value,
    kafka: kafka.value,
    summary:
      `Postgres: ${postgres.value.description} | Kafka: ${kafka.value.kafkaDescription} | ` +
      `registry: ${kafka.value.registryDescription}`,
    stop,
  };
}
