import { z } from 'zod';
import type { OutboxRelayOptions } from '../workers/outbox-relay';
import { documented, type SettingsOf } from './documented-keys';

/** The outbox relay: how it batches, polls, backs off, and prunes what it published. */
export const outboxKeys = {
  OUTBOX_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(2_000), {
    group: 'outbox',
    description:
      "most outbox rows the relay sends to Kafka in one batch: kafkajs keeps one request in flight per broker, so bigger batches drain a backlog faster, while each batch's encoding holds the instance's one thread longer (tens of milliseconds at 2,000) when a backlog drains",
  }),
  OUTBOX_BATCH_MAX_BYTES: documented(
    z.coerce
      .number()
      .int()
      .min(1_024)
      .max(100 * 1_024 * 1_024)
      .default(768 * 1_024),
    {
      group: 'outbox',
      description:
        "most bytes of rows in one relay batch, counted as payload and headers JSON plus 200 bytes a row (more than they take on the wire); keep it below the broker's `message.max.bytes` and the topics' `max.message.bytes` (1 MiB by default): the broker refuses an oversized record batch whole, and it would be retried for ever",
    },
  ),
  OUTBOX_POLL_INTERVAL_MS: documented(z.coerce.number().int().min(10).default(1_000), {
    group: 'outbox',
    description:
      'fallback poll when no wake-up arrives (a write that did not signal, a notification lost on reconnect); also how soon a relay rebalances its slots and takes over those of an instance that stopped',
  }),
  OUTBOX_NOTIFY_INTERVAL_MS: documented(z.coerce.number().int().min(1).max(1_000).default(5), {
    group: 'outbox',
    description:
      "after a commit that wrote outbox rows, this instance's relay wakes at once; the other instances' relays are told by a `pg_notify` sent at most once per this many milliseconds (none while this instance is the only relay)",
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
    batchMaxBytes: config.OUTBOX_BATCH_MAX_BYTES,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    retryMinMs: config.OUTBOX_RETRY_MIN_MS,
    retryMaxMs: config.OUTBOX_RETRY_MAX_MS,
    retentionHours: config.OUTBOX_RETENTION_HOURS,
    pruneIntervalMs: config.OUTBOX_PRUNE_INTERVAL_MS,
  };
  return { notifyIntervalMs: config.OUTBOX_NOTIFY_INTERVAL_MS, relay };
}
