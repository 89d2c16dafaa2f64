/**
 * How the simulated payment and inventory services answer. Pure: the random draw is passed in.
 *
 * Deterministic rules, checked first, so tests and the demo can pick an outcome:
 * - payment:   amount % 100 === 13 -> payment_failed 'card declined'
 *              amount % 100 === 77 -> payment_successful one minor unit short (underpaid)
 *              amount % 100 === 99 -> no reply at all (to exercise the payment deadline)
 * - inventory: a productId starting with 'oos-'  -> inventory_reservation_failed 'out of stock'
 *              a productId starting with 'slow-' -> no reply at all (the inventory deadline)
 * - refunds always answer payment_refunded; releases are only logged (no reply topic).
 * Otherwise the outcome is random: success with probability `successRate` (default 1), else
 * payment_failed 'payment declined (simulated)' or inventory_reservation_failed
 * 'out of stock (simulated)'.
 */
export interface OutcomeSettings {
  /** Probability, 0 to 1, that a request no rule matches succeeds. */
  successRate: number;
  /** Each reply is sent after a delay drawn uniformly from [minLatencyMs, maxLatencyMs]. */
  minLatencyMs: number;
  maxLatencyMs: number;
}

export const DEFAULT_OUTCOME_SETTINGS: OutcomeSettings = {
  successRate: 1,
  minLatencyMs: 0,
  maxLatencyMs: 0,
};

export type SimulatedOutcome =
  { kind: 'succeed' } | { kind: 'fail'; reason: string } | { kind: 'silent' };

/** A payment outcome; a success says how much was taken. */
export type PaymentOutcome =
  { kind: 'succeed'; taken: number } | { kind: 'fail'; reason: string } | { kind: 'silent' };

export const CARD_DECLINED = 'card declined';
export const OUT_OF_STOCK = 'out of stock';
export const DECLINED_AMOUNT_ENDING = 13;
export const SILENT_AMOUNT_ENDING = 99;
export const SHORT_AMOUNT_ENDING = 77;
export const OUT_OF_STOCK_PREFIX = 'oos-';
export const SILENT_PRODUCT_PREFIX = 'slow-';

/** `random` is a draw from [0, 1), e.g. Math.random(). */
export function paymentOutcome(
  amount: number,
  successRate: number,
  random: number,
): PaymentOutcome {
  const ending = amount % 100;
  if (ending === DECLINED_AMOUNT_ENDING) return { kind: 'fail', reason: CARD_DECLINED };
  if (ending === SILENT_AMOUNT_ENDING) return { kind: 'silent' };
  if (ending === SHORT_AMOUNT_ENDING) return { kind: 'succeed', taken: amount - 1 };
  return random < successRate
    ? { kind: 'succeed', taken: amount }
    : { kind: 'fail', reason: 'payment declined (simulated)' };
}

export function reservationOutcome(
  productIds: readonly string[],
  successRate: number,
  random: number,
): SimulatedOutcome {
  if (productIds.some((id) => id.startsWith(OUT_OF_STOCK_PREFIX))) {
    return { kind: 'fail', reason: OUT_OF_STOCK };
  }
  if (productIds.some((id) => id.startsWith(SILENT_PRODUCT_PREFIX))) return { kind: 'silent' };
  return random < successRate
    ? { kind: 'succeed' }
    : { kind: 'fail', reason: `${OUT_OF_STOCK} (simulated)` };
}

/** A delay in whole milliseconds, uniform in [min, max]; `random` is a draw from [0, 1). */
export function replyDelayMs({ minLatencyMs, maxLatencyMs }: OutcomeSettings, random: number) {
  const low = Math.max(0, Math.min(minLatencyMs, maxLatencyMs));
  const high = Math.max(low, maxLatencyMs);
  return Math.floor(low + random * (high - low + 1));
}

/** Refuses settings that cannot mean anything, with the reason. */
export function validateOutcomeSettings(settings: OutcomeSettings): OutcomeSettings {
  const { successRate, minLatencyMs, maxLatencyMs } = settings;
  if (!(successRate >= 0 && successRate <= 1)) {
    throw new RangeError(`successRate must be between 0 and 1 (got ${successRate})`);
  }
  if (!(minLatencyMs >= 0) || !(maxLatencyMs >= minLatencyMs)) {
    throw new RangeError(
      `latency must satisfy 0 <= min <= max (got ${minLatencyMs}..${maxLatencyMs})`,
    );
  }
  return settings;
}
