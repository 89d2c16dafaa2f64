import { RELAY_SLOTS } from '../../../src/data-access/outbox-repository';
import { planSlots } from '../../../src/workers/relay-slots';

const all = Array.from({ length: RELAY_SLOTS }, (_, slot) => slot);
const none = new Set<number>();

/** Runs rounds of plans for `members` instances, starting from `held`, until nothing moves. */
function settle(held: number[][]): number[][] {
  const state = held.map((slots) => [...slots]);
  for (let round = 0; round < 10; round++) {
    let moved = false;
    state.forEach((mine, index) => {
      const others = new Set(state.filter((_, other) => other !== index).flat());
      const { release, take } = planSlots(mine, others, state.length);
      if (release.length + take.length === 0) return;
      moved = true;
      state[index] = [...mine.filter((slot) => !release.includes(slot)), ...take];
    });
    if (!moved) return state;
  }
  throw new Error('the plan never settles');
}

describe('relay slot plan', () => {
  test('when one instance runs alone, then it takes every slot', () => {
    expect(planSlots([], none, 1)).toEqual({ release: [], take: all });
  });

  test('when a second instance joins, then the first gives back half, and the second takes them', () => {
    const first = planSlots(all, none, 2);
    expect(first.take).toEqual([]);
    expect(first.release).toHaveLength(RELAY_SLOTS / 2);

    const kept = all.filter((slot) => !first.release.includes(slot));
    const second = planSlots([], new Set(kept), 2);
    expect(second).toEqual({ release: [], take: first.release });
  });

  test('when an instance is at its share, then nothing moves', () => {
    const half = all.slice(0, RELAY_SLOTS / 2);
    expect(planSlots(half, new Set(all.slice(RELAY_SLOTS / 2)), 2)).toEqual({
      release: [],
      take: [],
    });
  });

  test('when slots are held by nobody, then they are taken only up to the share', () => {
    const plan = planSlots([], none, 3);
    expect(plan.take).toHaveLength(Math.ceil(RELAY_SLOTS / 3));
  });

  test('when a member died, then the survivors take its slots over and every slot is held once', () => {
    const [a, b] = settle([[], [], []]);
    const survivors = settle([a!, b!]);
    expect(survivors.flat().sort((x, y) => x - y)).toEqual(all);
  });

  test.each([1, 2, 3, 5, 7, 32, 40])(
    'when %i instances start together, then every slot ends up held exactly once, fairly',
    (members) => {
      const settled = settle(Array.from({ length: members }, () => []));
      expect(settled.flat().sort((x, y) => x - y)).toEqual(all);
      const sizes = settled.map((slots) => slots.length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(Math.ceil(RELAY_SLOTS / members));
    },
  );
});
