import { createSharedReads } from '../../../../src/entry-points/console/shared-reads';

/** The console's shared answers: one computation per max age, whoever asks. */
describe('createSharedReads', () => {
  let clock = 0;
  const now = () => clock;
  const counter = () => {
    let runs = 0;
    return {
      compute: async () => ++runs,
      runs: () => runs,
    };
  };

  beforeEach(() => {
    clock = 1_000;
  });

  it('when many ask within the max age, then one computation answers them all', async () => {
    const reads = createSharedReads(5_000, now);
    const figures = counter();

    const answers = await Promise.all([1, 2, 3].map(() => reads.read('k', figures.compute)));
    clock += 4_999;
    const later = await reads.read('k', figures.compute);

    expect([...answers, later]).toEqual([1, 1, 1, 1]);
    expect(figures.runs()).toBe(1);
  });

  it('when the max age has passed, or an action made it forget, then the answer is computed again', async () => {
    const reads = createSharedReads(5_000, now);
    const figures = counter();
    await reads.read('k', figures.compute);

    clock += 5_000;
    expect(await reads.read('k', figures.compute)).toBe(2);
    reads.forget();
    expect(await reads.read('k', figures.compute)).toBe(3);
  });

  it('when keys differ, then their answers are apart', async () => {
    const reads = createSharedReads(5_000, now);
    const figures = counter();
    expect(await reads.read('a', figures.compute)).toBe(1);
    expect(await reads.read('b', figures.compute)).toBe(2);
  });

  it('when a computation fails, then the failure is not shared: the next asker tries again', async () => {
    const reads = createSharedReads(5_000, now);
    await expect(reads.read('k', () => Promise.reject(new Error('db down')))).rejects.toThrow();
    expect(await reads.read('k', async () => 'fresh')).toBe('fresh');
  });

  it('when the max age is 0, then every ask computes', async () => {
    const reads = createSharedReads(0, now);
    const figures = counter();
    await reads.read('k', figures.compute);
    await reads.read('k', figures.compute);
    expect(figures.runs()).toBe(2);
  });
});
