import { z } from 'zod';
import type { BreakerOptions } from '../messaging/guarded-producer';
import { backoffCeiling } from '../shared/retry';
import { documented, type CrossKeyRule, type SettingsOf } from './documented-keys';
import type { OutboxSettings } from './outbox';

/** The opossum breaker around every Kafka send. */
export const breakerKeys = {
  BREAKER_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'breaker',
    description: 'a send taking longer counts as failed',
  }),
  BREAKER_ERROR_THRESHOLD_PERCENT: documented(z.coerce.number().min(1).max(100).default(50), {
    group: 'breaker',
    description: 'failure rate, in percent of sends in the window, that opens the breaker',
  }),
  BREAKER_VOLUME_THRESHOLD: documented(z.coerce.number().int().min(1).default(3), {
    group: 'breaker',
    description:
      'sends in the window before the failure rate may open the breaker; this many failed sends in a row open it too',
  }),
  BREAKER_RESET_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(10_000), {
    group: 'breaker',
    description: 'the breaker stays open this long before a half-open probe',
  }),
  BREAKER_ROLLING_WINDOW_MS: documented(z.coerce.number().int().min(1_000).default(30_000), {
    group: 'breaker',
    description:
      'the window the failure rate is measured over; long enough to hold `BREAKER_VOLUME_THRESHOLD` timed-out sends and the backoffs between them (README: Breaker settings), else the breaker could never open',
  }),
};

export type BreakerSettings = SettingsOf<typeof breakerKeys>;

/**
 * The shortest rolling window in which BREAKER_VOLUME_THRESHOLD sends to a hung broker, one at
 * a time with the relay's longest backoffs between them, all still count: opossum drops whole
 * buckets (a tenth of the window) as it rolls, hence the 10/9.
 */
export function breakerWindowNeededMs(
  config: Pick<BreakerSettings, 'BREAKER_VOLUME_THRESHOLD' | 'BREAKER_TIMEOUT_MS'> &
    Pick<OutboxSettings, 'OUTBOX_RETRY_MIN_MS' | 'OUTBOX_RETRY_MAX_MS'>,
): number {
  let backoffsMs = 0;
  for (let failure = 0; failure < config.BREAKER_VOLUME_THRESHOLD - 1; failure += 1) {
    backoffsMs += backoffCeiling(failure, config.OUTBOX_RETRY_MIN_MS, config.OUTBOX_RETRY_MAX_MS);
  }
  const busyMs = config.BREAKER_VOLUME_THRESHOLD * config.BREAKER_TIMEOUT_MS + backoffsMs;
  return Math.ceil((busyMs * 10) / 9);
}

export const breakerRules: CrossKeyRule<BreakerSettings & OutboxSettings>[] = [
  {
    // Opossum opens only once BREAKER_VOLUME_THRESHOLD sends fall inside one rolling window. The
    // relay has one send in flight; against a hung broker each takes BREAKER_TIMEOUT_MS, and the
    // relay backs off between them. A window that cannot hold all of that never opens.
    keys: [
      'BREAKER_ROLLING_WINDOW_MS',
      'BREAKER_VOLUME_THRESHOLD',
      'BREAKER_TIMEOUT_MS',
      'OUTBOX_RETRY_MIN_MS',
      'OUTBOX_RETRY_MAX_MS',
    ],
    check: (config) => {
      const needed = breakerWindowNeededMs(config);
      return config.BREAKER_ROLLING_WINDOW_MS < needed
        ? {
            key: 'BREAKER_ROLLING_WINDOW_MS',
            message:
              `must be at least ${needed}: BREAKER_VOLUME_THRESHOLD × BREAKER_TIMEOUT_MS plus the ` +
              "relay's backoffs between those sends, plus one of the window's ten buckets; " +
              'else sends that time out one at a time never fill the window and the breaker never opens',
          }
        : undefined;
    },
  },
];

export function breakerOptions(config: BreakerSettings): BreakerOptions {
  return {
    timeoutMs: config.BREAKER_TIMEOUT_MS,
    errorThresholdPercentage: config.BREAKER_ERROR_THRESHOLD_PERCENT,
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    resetTimeoutMs: config.BREAKER_RESET_TIMEOUT_MS,
    rollingCountTimeoutMs: config.BREAKER_ROLLING_WINDOW_MS,
  };
}
