import { setupPostgres, type PostgresSetup } from './database';
import { setupKafkaStack, type KafkaStackSetup } from './kafka-stack';

/** What globalTeardown needs; jest shares globalThis between globalSetup and globalTeardown. */
export interface TestEnvironmentState {
  postgres?: PostgresSetup;
  kafka?: KafkaStackSetup;
}

export const STATE_KEY = '__orderServiceTestEnvironment';

export function testEnvironmentState(): TestEnvironmentState {
  const global = globalThis as typeof globalThis & { [STATE_KEY]?: TestEnvironmentState };
  return (global[STATE_KEY] ??= {});
}

/** Starts what the tests share and publishes it through process.env, which workers inherit. */
export default async function globalSetup(): Promise<void> {
  const state = testEnvironmentState();
  const started = Date.now();
  [state.postgres, state.kafka] = await Promise.all([setupPostgres(), setupKafkaStack()]);
  const { source, templateDb } = state.postgres;
  process.stderr.write(
    `\nPostgres for tests: ${source}, template ${templateDb}; Kafka: ${state.kafka.source} ` +
      `(${state.kafka.brokers.join(',')}, registry ${state.kafka.registryUrl}); ready in ${Date.now() - started} ms\n`,
  );
}
