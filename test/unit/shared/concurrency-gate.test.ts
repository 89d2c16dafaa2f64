import { createConcurrencyGate } from '../../../src/shared/concurrency-gate';

describe('concurrency gate', () => {
  test('when more callers than places arrive, then the rest wait in arrival order and go in as places free', async () => {
    const gate = createConcurrencyGate(2, 10);
    const order: string[] = [];
    const a = await gate.enter();
    const b = await gate.enter();
    const c = gate.enter().then((leave) => (order.push('c'), leave));
    const d = gate.enter().then((leave) => (order.push('d'), leave));
    await Promise.resolve();
    expect(gate.load()).toEqual({ running: 2, waiting: 2 });
    expect(order).toEqual([]);

    a?.();
    a?.(); // leaving twice frees one place only
    const leaveC = await c;
    expect(order).toEqual(['c']);
    expect(gate.load()).toEqual({ running: 2, waiting: 1 });

    b?.();
    const leaveD = await d;
    expect(order).toEqual(['c', 'd']);
    leaveC?.();
    leaveD?.();
    expect(gate.load()).toEqual({ running: 0, waiting: 0 });
  });

  test('when as many wait as allowed, then the next caller is turned away at once', async () => {
    const gate = createConcurrencyGate(1, 1);
    const first = await gate.enter();
    const waiter = gate.enter();
    await expect(gate.enter()).resolves.toBeUndefined();
    first?.();
    await expect(waiter).resolves.toEqual(expect.any(Function));
  });
});
