import { describeShutdownProblems, runShutdown } from '../../../src/shared/shutdown';

const never = () => new Promise<void>(() => undefined);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('shutdown under one deadline', () => {
  test('when every step stops, then the phases run in order, the steps of a phase together', async () => {
    const events: string[] = [];
    const step = (name: string) => ({
      name,
      run: async () => {
        events.push(`${name} start`);
        await tick();
        events.push(`${name} end`);
      },
    });

    const outcome = await runShutdown([[step('http'), step('consumer')], [step('pools')]], 5_000);

    expect(outcome).toEqual({ failed: [], stillRunning: [], notStarted: [] });
    expect(events).toEqual([
      'http start',
      'consumer start',
      'http end',
      'consumer end',
      'pools start',
      'pools end',
    ]);
    expect(describeShutdownProblems(outcome, 5_000)).toBeUndefined();
  });

  test('when a step fails, then the other steps and later phases still run, and the failure is named', async () => {
    const ran: string[] = [];
    const outcome = await runShutdown(
      [
        [
          { name: 'relay', run: () => Promise.reject(new Error('broker gone')) },
          { name: 'consumer', run: async () => void ran.push('consumer') },
        ],
        [{ name: 'pools', run: async () => void ran.push('pools') }],
      ],
      5_000,
    );

    expect(ran).toEqual(['consumer', 'pools']);
    expect(describeShutdownProblems(outcome, 5_000)).toBe('failed: relay (broker gone)');
  });

  test('when a step hangs past the deadline, then it returns at the deadline naming what was still running and what never began', async () => {
    const outcome = await runShutdown(
      [
        [
          { name: 'HTTP server', run: async () => undefined },
          { name: 'saga consumer', run: never },
        ],
        [{ name: 'database pools', run: async () => undefined }],
      ],
      50,
    );

    expect(outcome.stillRunning).toEqual(['saga consumer']);
    expect(outcome.notStarted).toEqual(['database pools']);
    expect(describeShutdownProblems(outcome, 50)).toBe(
      'still running after 50 ms: saga consumer; not stopped: database pools',
    );
  });
});
