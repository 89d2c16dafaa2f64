import { testEnvironmentState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const state = testEnvironmentState();
  try {
    await state.postgres?.teardown();
  } finally {
    await state.services?.stop();
    state.postgres = undefined;
    state.services = undefined;
  }
}
