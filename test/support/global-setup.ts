import { setupPostgres, type PostgresSetup } from './database';
import { publishKafkaStack } from './kafka-stack';
import { startLocalServices, type LocalServices } from './local-services';

/** What globalTeardown needs; jest shares globalThis between globalSetup and globalTeardown. */
export interface TestEnvironmentState {
  services?: LocalServices;
  postgres?: PostgresSetup;
}

export const STATE_KEY = '__orderServiceTestEnvironment';

export function testEnvironmentState(): TestEnvironmentState {
  const global = globalThis as typeof globalThis & { [STATE_KEY]?: TestEnvironmentState };
  return (global[STATE_KEY] ??= {});
}

/**
 * Starts what the tests share, publishes it through process.env (workers inherit it), and says
 * in one line what the run is against, naming the real thing.
 */
export default async function globalSetup(): Promise<void> {
  const state = testEnvironmentState();
  const started = Date.now();
  const services = await startLocalServices({ containers: true, fastPostgres: true });
  state.services = services;
  try {
    state.postgres = await setupPostgres(services.postgres);
  } catch (error) {
    await services.stop();
    throw error;
  }
  publishKafkaStack(services.kafka);
  process.stderr.write(`\n${services.summary} (ready in ${Date.now() - started} ms)\n`);
}
