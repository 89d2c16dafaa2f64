import { z } from 'zod';
import type { OutboxRelayOptions } from '../workers/outbox-relay';
import { documented, type SettingsOf } from './documented-keys';

/** The outbox relay: how it batches, polls, backs off, and prunes what it published. */
export const outboxKeys = {
  OUTBOX_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    group: 'outbox',
    description: 'most outbox rows the relay sends to Kafka in one batch',
  }),
  OUTBOX_POLL_INTERVAL_MS: documented(z.coerce.number().int().min(10).default(1_000), {
    group: 'outbox',
    description:
      'fallback poll when no wake-up arrives (a write that did not signal, a notification lost on reconnect); also how soon a relay rebalances its slots and takes over those of an instance that stopped',
  }),
  OUTBOX_NOTIFY_INTERVAL_MS: documented(z.coerce.number().int().min(1).max(1_000).default(5), {
    group: 'outbox',
    description:
      "after a commit that wrote outbox rows, this instance's relay wakes at once; the other instances' relays are told by a `pg_notify` sent at most once per this many milliseconds",
  }),
  OUTBOX_RETRY_MIN_MS: documented(z.coerce.number().int().min(1).default(200), {
    group: 'outbox',
    description:
      'backoff after a failed publish: exponential from this up to `OUTBOX_RETRY_MAX_MS`, with full jitter',
  }),
  OUTBOX_RETRY_MAX_MS: documented(z.coerce.number().int().min(1).default(30_000), {
    group: 'outbox',
    description: 'longest backoff after failed publishes (see `OUTBOX_RETRY_MIN_MS`)',
  }),
  OUTBOX_RETENTION_HOURS: documented(z.coerce.number().min(0).default(72), {
    group: 'outbox',
    description:
      'published rows older than this many hours are deleted; unpublished rows never are',
  }),
  OUTBOX_PRUNE_INTERVAL_MS: documented(z.coerce.number().int().min(1_000).default(600_000), {
    group: 'outbox',
    description: 'how often published rows past `OUTBOX_RETENTION_HOURS` are deleted',
  }),
};

export type OutboxSettings = SettingsOf<typeof outboxKeys>;

export function outboxOptions(config: OutboxSettings) {
  const relay: Omit<OutboxRelayOptions, 'database' | 'topicPrefix'> = {
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    retryMinMs: config.OUTBOX_RETRY_MIN_MS,
    retryMaxMs: config.OUTBOX_RETRY_MAX_MS,
    retentionHours: config.OUTBOX_RETENTION_HOURS,
    pruneIntervalMs: config.OUTBOX_PRUNE_INTERVAL_MS,
  };
  return { notifyIntervalMs: config.OUTBOX_NOTIFY_INTERVAL_MS, relay };
}
