import { testEnvironmentState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const state = testEnvironmentState();
  await state.postgres?.teardown();
  state.postgres = undefined;
}
