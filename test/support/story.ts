/**
 * Steps that each act on what the steps before them left (one page in one browser, one failure
 * group worked through), run as ONE test in the order written: `npm test` randomizes the order
 * of tests, so such steps cannot be tests of their own. A failing step is named in the error.
 *
 *   const step = story('an operator works a failure through', 300_000);
 *   step('when …, then …', async () => { … });
 */
export function story(title: string, timeoutMs: number) {
  const steps: Array<[string, () => Promise<void>]> = [];
  test(
    title,
    async () => {
      expect(steps.length).toBeGreaterThan(0);
      for (const [name, run] of steps) {
        try {
          await run();
        } catch (error) {
          if (error instanceof Error) error.message = `step "${name}": ${error.message}`;
          throw error;
        }
      }
    },
    timeoutMs,
  );
  return (name: string, run: () => Promise<void>) => {
    steps.push([name, run]);
  };
}
