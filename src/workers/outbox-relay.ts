import type { TopicMessages } from 'kafkajs';
import {
  createOutboxRepository,
  type ClaimedBatch,
  type PendingOutboxMessage,
} from '../data-access/outbox-repository';
import type { GuardedProducer } from '../messaging/guarded-producer';
import type { EventEncoder } from '../messaging/event-encoder';
import { errorMessage } from '../shared/app-error';
import { createBackgroundLoop, type StepResult } from '../shared/background-loop';
import type { Logger } from '../shared/logger';
import { sendInStoredContexts } from '../shared/trace-context';
import { createBatchEncoder } from './outbox-batch-encoder';
import { RelaySlots } from './relay-slots';
import type { OutboxSignal } from './outbox-signal';

export interface OutboxRelayOptions {
  database: { url: string; connectTimeoutMs: number; statementTimeoutMs: number };
  topicPrefix: string;
  batchSize: number;
  /** Most bytes of rows in one batch (OUTBOX_BATCH_MAX_BYTES), under the broker's record bound. */
  batchMaxBytes: number;
  pollIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  retentionHours: number;
  pruneIntervalMs: number;
}

export interface OutboxRelayDependencies {
  producer: GuardedProducer;
  encoder: EventEncoder;
  /** Commits that wrote outbox rows, here and in other instances, wake the relay through it. */
  signal: OutboxSignal;
  logger: Logger;
  /** Told of each batch once marked published, with when Kafka acknowledged it (metrics). */
  onPublished?: (rows: readonly PendingOutboxMessage[], ackedAt: number) => void;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batches in flight (so what Kafka acknowledged is marked), then stops. */
  stop(): Promise<void>;
  /** The outbox slots this instance publishes, as of its last look. */
  slots(): readonly number[];
}

/** A claimed batch, encoded: what goes to Kafka, and which rows that is. */
interface PreparedBatch {
  claim: ClaimedBatch;
  topicMessages: TopicMessages[];
  sendable: string[];
}

/**
 * Claims in flight at once: the batch Kafka is acknowledging, the next one (claimed and encoded
 * meanwhile) and the one before (being marked published).
 */
const CLAIMS_IN_FLIGHT = 3;

/**
 * Publishes outbox rows to Kafka, at least once and in write order. Rows are marked published
 * only after Kafka acknowledged them; a failed batch is retried with backoff, never dropped.
 */
export function createOutboxRelay(
  { producer, encoder, signal, logger, onPublished }: OutboxRelayDependencies,
  options: OutboxRelayOptions,
): OutboxRelay {
  const outbox = createOutboxRepository({
    ...options.database,
    poolSize: CLAIMS_IN_FLIGHT + 1,
    logger,
  });
  const encodeBatch = createBatchEncoder(encoder, options.topicPrefix);
  let lastPruneAt = 0;

  const claim = async (
    slots: readonly number[],
    inFlight: Array<PreparedBatch | undefined>,
  ): Promise<PreparedBatch> => {
    const claimed = await outbox.claimBatch({
      limit: options.batchSize,
      maxBytes: options.batchMaxBytes,
      slots,
      skipIds: inFlight.flatMap((batch) => batch?.claim.rows.map((row) => row.id) ?? []),
      skipOrders: encodeBatch.heldOrders(),
    });
    try {
      return await prepare(claimed);
    } catch (error) {
      await claimed.release();
      throw error;
    }
  };

  async function prepare(claim: ClaimedBatch): Promise<PreparedBatch> {
    const { topicMessages, sendable, unencodable } = await encodeBatch(claim.rows);
    if (unencodable.length > 0) {
      const byReason = new Map<string, string[]>();
      for (const { row, reason } of unencodable) {
        byReason.set(reason, [...(byReason.get(reason) ?? []), row.id]);
      }
      for (const [reason, ids] of byReason) await claim.recordFailure(ids, reason);
      logger.error('outbox rows cannot be encoded; their orders are held back', {
        eventIds: unencodable.map(({ row }) => row.eventId),
        reasons: [...byReason.keys()],
      });
    }
    return { claim, topicMessages, sendable };
  }

  /** Marks a batch Kafka acknowledged at `ackedAt` published, then tells the observer. */
  async function markPublished(batch: PreparedBatch, ackedAt: number): Promise<void> {
    await batch.claim.markPublished(batch.sendable);
    if (!onPublished) return;
    const sent = new Set(batch.sendable);
    onPublished(
      batch.claim.rows.filter((row) => sent.has(row.id)),
      ackedAt,
    );
  }

  /** The one place a batch goes to Kafka. */
  async function send(batch: PreparedBatch): Promise<void> {
    if (batch.sendable.length === 0) return;
    await sendInStoredContexts(batch.topicMessages, async (messages) => {
      await producer.send(messages);
    });
  }

  /**
   * Publishes the rows of `slots`, batch after batch, until one comes back short (the backlog
   * is drained), a slot is lost, or a poll interval has passed (so pruning and rebalancing get
   * their turn). While Kafka acknowledges one batch, the next one is claimed and encoded, the
   * one before is marked published, and the lock connection confirms that it still holds the
   * slots: the database's share of the work hides behind Kafka's. Each batch still leaves only
   * after the one before it was acknowledged (and the slots confirmed), so one order's events
   * keep their order. The first batch leaves only once the slots are confirmed with its rows
   * locked; a later one was claimed while the batch before it was still locked, which keeps an
   * instance that took a slot meanwhile waiting behind both. True when there is more to publish
   * at once, or slots to take again.
   */
  async function publishWhileFull(signal: AbortSignal, slots: readonly number[]): Promise<boolean> {
    const until = performance.now() + options.pollIntervalMs;
    let current = await claim(slots, []);
    if (current.claim.rows.length === 0) {
      await current.claim.release();
      return false;
    }
    // The slots were confirmed at the rebalance, before the wait for the producer (up to a
    // breaker's reset timeout). Lost since, another instance may have taken one and published
    // rows of it: only with these rows locked and the slots still held are they ours to send.
    if (!(await relaySlots.confirm(slots))) {
      await current.claim.release();
      logger.warn('outbox relay slots no longer held; stopped publishing');
      return true; // rebalance at once: rejoin, and take free slots again
    }
    let previous: PreparedBatch | undefined;
    let marking: Promise<void> = Promise.resolve();
    for (;;) {
      const full = current.claim.bounded;
      const more = full && !signal.aborted && performance.now() < until;
      const [sent, marked, claimed, confirmed] = await Promise.allSettled([
        send(current),
        marking,
        more ? claim(slots, [current, previous]) : undefined,
        more ? relaySlots.confirm(slots) : true,
      ]);
      const next = claimed.status === 'fulfilled' ? claimed.value : undefined;
      if (sent.status === 'rejected') {
        // Not acknowledged: the rows stay unpublished and are sent again, in order, later.
        await Promise.all([current.claim.release(), next?.claim.release()]);
        await outbox.recordFailure(current.sendable, errorMessage(sent.reason)).catch(() => {});
        throw sent.reason;
      }
      marking = markPublished(current, Date.now());
      const failed = [marked, claimed, confirmed].find((result) => result.status === 'rejected');
      const leading = confirmed.status === 'fulfilled' && confirmed.value;
      if (failed || !leading || !next || next.claim.rows.length === 0) {
        await Promise.all([marking.catch(() => {}), next?.claim.release()]);
        if (failed) throw failed.reason; // what was not marked is sent again later
        if (!leading) {
          logger.warn('outbox relay slots no longer held; stopped publishing');
          return true; // rebalance at once: rejoin, and take free slots again
        }
        return full && next === undefined; // the interval ended on a full batch
      }
      previous = current;
      current = next;
    }
  }

  async function pruneWhenDue(): Promise<void> {
    if (Date.now() - lastPruneAt < options.pruneIntervalMs) return;
    lastPruneAt = Date.now();
    const before = new Date(Date.now() - options.retentionHours * 3_600_000);
    const pruned = await outbox.prunePublished(before);
    if (pruned > 0)
      logger.info('pruned published outbox rows', { pruned, before: before.toISOString() });
  }

  /** Takes this instance's share of the slots, then publishes their rows. */
  async function step(signal: AbortSignal): Promise<StepResult> {
    const slots = await relaySlots.rebalance();
    if (slots.length === 0) return 'idle';
    await producer.waitUntilCallable(signal);
    if (signal.aborted) return 'idle';
    const full = await publishWhileFull(signal, slots);
    await pruneWhenDue();
    return full ? 'busy' : 'idle';
  }

  const loop = createBackgroundLoop({
    name: 'outbox publish',
    step,
    idleMs: options.pollIntervalMs,
    retryMinMs: options.retryMinMs,
    retryMaxMs: options.retryMaxMs,
    logger,
  });
  // A local write, or another instance's notification, ends the idle wait: the rows may be in
  // this instance's slots, or slots may have been given back.
  const relaySlots = new RelaySlots(options.database, () => loop.wake(), logger);
  signal.connect({ wake: () => loop.wake(), notifyOthers: () => relaySlots.announceWrites() });

  return {
    start: loop.start,
    async stop() {
      await loop.stop();
      await relaySlots.release();
      await outbox.close();
    },
    slots: () => relaySlots.slots,
  };
}
