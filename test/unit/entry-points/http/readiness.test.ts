import { createReadiness } from '../../../../src/entry-points/http/readiness';

describe('readiness', () => {
  function countingCheck(answer: () => Promise<{ ok: boolean }>) {
    const check = { name: 'database', calls: 0, check: () => (check.calls++, answer()) };
    return check;
  }

  test('when probes arrive within the cache time, then the database is asked once', async () => {
    let clock = 0;
    const database = countingCheck(async () => ({ ok: true }));
    const readiness = createReadiness([database], () => ({}), { cacheMs: 1_000, now: () => clock });

    for (let i = 0; i < 50; i++) expect((await readiness.report()).ready).toBe(true);
    clock = 999;
    await readiness.report();
    expect(database.calls).toBe(1);

    clock = 1_000;
    await readiness.report();
    expect(database.calls).toBe(2);
  });

  test('when shutdown begins, then the report says not ready at once, cached checks notwithstanding', async () => {
    const database = countingCheck(async () => ({ ok: true }));
    const readiness = createReadiness([database], () => ({}), { cacheMs: 60_000 });
    expect((await readiness.report()).ready).toBe(true);

    readiness.markStopping();

    expect(await readiness.report()).toMatchObject({
      ready: false,
      checks: { shutdown: { ok: false, detail: 'shutting down' } },
    });
    expect(readiness.isStopping()).toBe(true);
  });

  test('when probes arrive while a check hangs, then they share it instead of starting more', async () => {
    let clock = 0;
    let release: (value: { ok: boolean }) => void = () => undefined;
    const database = countingCheck(() => new Promise((resolve) => (release = resolve)));
    const readiness = createReadiness([database], () => ({}), { cacheMs: 1_000, now: () => clock });

    const first = readiness.report();
    clock = 5_000; // long past the cache time, but the first check has not answered yet
    const second = readiness.report();
    release({ ok: false });

    expect((await first).ready).toBe(false);
    expect((await second).ready).toBe(false);
    expect(database.calls).toBe(1);
  });

  test('when the details change, then the report shows them at once', async () => {
    let breaker = 'closed';
    const readiness = createReadiness([], () => ({ breaker }));
    expect((await readiness.report()).details).toEqual({ breaker: 'closed' });
    breaker = 'open';
    expect((await readiness.report()).details).toEqual({ breaker: 'open' });
  });
});
