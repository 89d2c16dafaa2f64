import {
  CARD_DECLINED,
  OUT_OF_STOCK,
  paymentOutcome,
  replyDelayMs,
  reservationOutcome,
  validateOutcomeSettings,
} from '../../peer-simulators/simulator-rules';

describe('peer simulator rules', () => {
  describe('payment', () => {
    test.each([13, 113, 1_013, 2_513])(
      'when the amount is %i (ends in 13), then the card is declined whatever the draw',
      (amount) => {
        expect(paymentOutcome(amount, 1, 0)).toEqual({ kind: 'fail', reason: CARD_DECLINED });
      },
    );

    test.each([99, 199, 4_999])(
      'when the amount is %i (ends in 99), then payment never answers',
      (amount) => {
        expect(paymentOutcome(amount, 1, 0)).toEqual({ kind: 'silent' });
      },
    );

    test.each([77, 4_977])(
      'when the amount is %i (ends in 77), then payment takes one minor unit less',
      (amount) => {
        expect(paymentOutcome(amount, 0, 0.99)).toEqual({ kind: 'succeed', taken: amount - 1 });
      },
    );

    test('when no rule matches, then the draw decides against the success rate', () => {
      expect(paymentOutcome(5_048, 0.5, 0.49)).toEqual({ kind: 'succeed', taken: 5_048 });
      expect(paymentOutcome(5_048, 0.5, 0.5)).toEqual({
        kind: 'fail',
        reason: 'payment declined (simulated)',
      });
    });

    test('when the success rate is 1 (the default), then any draw below 1 succeeds', () => {
      expect(paymentOutcome(1_012, 1, 0.999_999)).toEqual({ kind: 'succeed', taken: 1_012 });
    });

    test('when the success rate is 0, then every payment no rule matches fails', () => {
      expect(paymentOutcome(1_012, 0, 0)).toMatchObject({ kind: 'fail' });
    });
  });

  describe('inventory', () => {
    test("when any product id starts with 'oos-', then the reservation fails out of stock", () => {
      expect(reservationOutcome(['sku-1', 'oos-2'], 1, 0)).toEqual({
        kind: 'fail',
        reason: OUT_OF_STOCK,
      });
    });

    test("when any product id starts with 'slow-', then inventory never answers", () => {
      expect(reservationOutcome(['sku-1', 'slow-2'], 1, 0)).toEqual({ kind: 'silent' });
    });

    test("when both rules match, then 'out of stock' wins (an answer beats silence)", () => {
      expect(reservationOutcome(['slow-1', 'oos-2'], 1, 0)).toMatchObject({ kind: 'fail' });
    });

    test('when the prefix is elsewhere in the id, then no rule matches', () => {
      expect(reservationOutcome(['sku-oos-1', 'x-slow-'], 1, 0)).toEqual({ kind: 'succeed' });
    });

    test.each([77, 4_977])(
      'when the amount is %i (ends in 77), then payment takes one minor unit less',
      (amount) => {
        expect(paymentOutcome(amount, 0, 0.99)).toEqual({ kind: 'succeed', taken: amount - 1 });
      },
    );

    test('when no rule matches, then the draw decides against the success rate', () => {
      expect(reservationOutcome(['sku-1'], 0.25, 0.2)).toEqual({ kind: 'succeed' });
      expect(reservationOutcome(['sku-1'], 0.25, 0.3)).toEqual({
        kind: 'fail',
        reason: 'out of stock (simulated)',
      });
    });
  });

  describe('latency', () => {
    const settings = { successRate: 1, minLatencyMs: 10, maxLatencyMs: 20 };

    test('when the draw is at either end, then the delay is min or max', () => {
      expect(replyDelayMs(settings, 0)).toBe(10);
      expect(replyDelayMs(settings, 0.999_999)).toBe(20);
    });

    test('when min equals max, then the delay is exactly that', () => {
      expect(replyDelayMs({ ...settings, minLatencyMs: 7, maxLatencyMs: 7 }, 0.5)).toBe(7);
    });

    test('when settings are nonsense, then they are refused with the reason', () => {
      expect(() => validateOutcomeSettings({ ...settings, successRate: 1.5 })).toThrow(
        'successRate must be between 0 and 1',
      );
      expect(() => validateOutcomeSettings({ ...settings, minLatencyMs: 30 })).toThrow(
        'latency must satisfy 0 <= min <= max',
      );
      expect(() => validateOutcomeSettings({ ...settings, successRate: Number.NaN })).toThrow();
    });
  });
});
