import { breakerWindowNeededMs } from '../../../src/config';
import { backoffCeiling, backoffDelay } from '../../../src/shared/retry';

describe('the one backoff formula', () => {
  test('when attempts follow each other, then the ceiling doubles from the minimum until the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffCeiling(attempt, 200, 3_000))).toEqual([
      200, 400, 800, 1_600, 3_000, 3_000,
    ]);
  });

  test('when a delay is drawn, then it lies between the minimum and that attempt’s ceiling', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffDelay(attempt, 250, 30_000);
      expect(delay).toBeGreaterThanOrEqual(250);
      expect(delay).toBeLessThanOrEqual(backoffCeiling(attempt, 250, 30_000));
    }
  });

  test("when the breaker's window rule adds up the relay's backoffs, then it sums the same ceilings", () => {
    const settings = { OUTBOX_RETRY_MIN_MS: 300, OUTBOX_RETRY_MAX_MS: 1_000 };
    const backoffs = [0, 1, 2, 3].map((attempt) => backoffCeiling(attempt, 300, 1_000));
    expect(
      breakerWindowNeededMs({
        ...settings,
        BREAKER_VOLUME_THRESHOLD: 5,
        BREAKER_TIMEOUT_MS: 2_000,
      }),
    ).toBe(Math.ceil(((5 * 2_000 + backoffs.reduce((sum, ms) => sum + ms, 0)) * 10) / 9));
  });
});
