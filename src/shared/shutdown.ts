import { errorMessage } from './app-error';

/** One part to stop, named for the log line that says it did not. */
export interface ShutdownStep {
  name: string;
  run(): Promise<unknown>;
}

/** Steps stopped together; the next phase starts once every step of this one has settled. */
export type ShutdownPhase = readonly ShutdownStep[];

export interface ShutdownOutcome {
  /** Steps that threw, with their error texts. */
  failed: { name: string; error: string }[];
  /** Steps still running when the deadline passed. */
  stillRunning: string[];
  /** Steps of later phases never begun because the deadline passed first. */
  notStarted: string[];
}

/** What did not stop cleanly, in one sentence; undefined when everything did. */
export function describeShutdownProblems(outcome: ShutdownOutcome, deadlineMs: number) {
  const parts = [
    outcome.stillRunning.length > 0 &&
      `still running after ${deadlineMs} ms: ${outcome.stillRunning.join(', ')}`,
    outcome.notStarted.length > 0 && `not stopped: ${outcome.notStarted.join(', ')}`,
    outcome.failed.length > 0 &&
      `failed: ${outcome.failed.map(({ name, error }) => `${name} (${error})`).join(', ')}`,
  ].filter((part): part is string => !!part);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Runs the phases in order under one deadline. A failing step does not stop the others or the
 * later phases; past the deadline it returns at once with what was still running.
 */
export async function runShutdown(
  phases: readonly ShutdownPhase[],
  deadlineMs: number,
): Promise<ShutdownOutcome> {
  const failed: ShutdownOutcome['failed'] = [];
  const running = new Set<string>();
  let next = 0;
  const allPhases = (async () => {
    for (; next < phases.length; next++) {
      await Promise.all(
        (phases[next] ?? []).map(async ({ name, run }) => {
          running.add(name);
          try {
            await run();
          } catch (error) {
            failed.push({ name, error: errorMessage(error) });
          } finally {
            running.delete(name);
          }
        }),
      );
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  const ended = await Promise.race([allPhases, deadline]);
  clearTimeout(timer);
  if (ended !== 'deadline') return { failed, stillRunning: [], notStarted: [] };
  return {
    failed,
    stillRunning: [...running],
    notStarted: phases.slice(next + 1).flatMap((phase) => phase.map(({ name }) => name)),
  };
}
