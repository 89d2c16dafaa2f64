import { setupPostgres, type PostgresSetup } from './database';

/** What globalTeardown needs; jest shares globalThis between globalSetup and globalTeardown. */
export interface TestEnvironmentState {
  postgres?: PostgresSetup;
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
  state.postgres = await setupPostgres();
  const { source, templateDb } = state.postgres;
  process.stderr.write(
    `\nPostgres for tests: ${source}, template ${templateDb} migrated in ${Date.now() - started} ms\n`,
  );
}
