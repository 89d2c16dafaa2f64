import { testEnvironmentState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const state = testEnvironmentState();
  await Promise.all([state.postgres?.teardown(), state.kafka?.teardown()]);
  state.postgres = undefined;
  state.kafka = undefined;
}
