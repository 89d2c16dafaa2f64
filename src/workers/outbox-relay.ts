import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import type { OutboxRepository, PendingOutboxMessage } from '../data-access/outbox-repository';
import type { GuardedProducer } from '../messaging/guarded-producer';
import {
  PayloadSchemaMismatchError,
  UnknownTopicError,
  type EventEncoder,
} from '../messaging/event-encoder';
import { physicalTopic } from '../messaging/topics';
import { errorMessage } from '../shared/app-error';
import { createBackgroundLoop, type StepResult } from '../shared/background-loop';
import type { Logger } from '../shared/logger';
import { RelayLeadership } from './relay-leadership';

export interface OutboxRelayOptions {
  databaseUrl: string;
  topicPrefix: string;
  batchSize: number;
  pollIntervalMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  retentionHours: number;
  pruneIntervalMs: number;
}

export interface OutboxRelayDependencies {
  outbox: OutboxRepository;
  producer: GuardedProducer;
  encoder: EventEncoder;
  logger: Logger;
  /** Told of each batch once marked published, with when Kafka acknowledged it (metrics). */
  onPublished?: (rows: readonly PendingOutboxMessage[], ackedAt: number) => void;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batch in flight (so what Kafka acknowledged is marked), then stops. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

/**
 * Publishes outbox rows to Kafka, at least once and in write order. Rows are marked published
 * only after Kafka acknowledged them; a failed batch is retried with backoff, never dropped.
 */
export function createOutboxRelay(
  { outbox, producer, encoder, logger, onPublished }: OutboxRelayDependencies,
  options: OutboxRelayOptions,
): OutboxRelay {
  let lastPruneAt = 0;
  /**
   * Orders with a row that cannot be encoded (a bug: a payload that does not fit its schema, or
   * a topic this version has no schema for). Their rows stay unpublished, are skipped by every
   * later batch so they never block other orders, and are tried again after a restart (i.e.
   * once a fix is deployed).
   */
  const heldOrders = new Set<string>();

  async function publishBatch(rows: PendingOutboxMessage[]): Promise<number> {
    const { messagesByTopic, sendable, unencodable } = await encodeInOrder(rows);
    if (unencodable.length > 0) {
      const byReason = new Map<string, bigint[]>();
      for (const { row, reason } of unencodable) {
        byReason.set(reason, [...(byReason.get(reason) ?? []), row.id]);
      }
      for (const [reason, ids] of byReason) await outbox.recordFailure(ids, reason);
      logger.error('outbox rows cannot be encoded; their orders are held back', {
        eventIds: unencodable.map(({ row }) => row.eventId),
        reasons: [...byReason.keys()],
      });
    }
    if (sendable.length === 0) return 0;
    const topicMessages: TopicMessages[] = [...messagesByTopic].map(([topic, messages]) => ({
      topic,
      messages,
    }));
    try {
      await producer.send(topicMessages);
    } catch (error) {
      await outbox.recordFailure(sendable, errorMessage(error)).catch(() => undefined);
      throw error;
    }
    const ackedAt = Date.now();
    await outbox.markPublished(sendable);
    const sent = new Set(sendable);
    onPublished?.(
      rows.filter((row) => sent.has(row.id)),
      ackedAt,
    );
    return sendable.length;
  }

  /** Encodes rows in id order; an order whose row fails to encode sends nothing after it. */
  async function encodeInOrder(rows: PendingOutboxMessage[]) {
    const messagesByTopic = new Map<string, Message[]>();
    const sendable: bigint[] = [];
    const unencodable: Array<{ row: PendingOutboxMessage; reason: string }> = [];
    for (const row of rows) {
      if (heldOrders.has(row.orderId)) continue;
      let value: Buffer;
      try {
        value = await encoder.encode(row.topic, row.payload);
      } catch (error) {
        // A registry outage fails the whole batch (retried); a bad payload, or a topic without
        // a schema, holds its order back (retrying the batch would stall every other order).
        if (!(error instanceof PayloadSchemaMismatchError || error instanceof UnknownTopicError)) {
          throw error;
        }
        unencodable.push({ row, reason: error.message });
        heldOrders.add(row.orderId);
        continue;
      }
      const topic = physicalTopic(options.topicPrefix, row.topic);
      const headers: IHeaders = {
        ...row.headers,
        'event-id': row.eventId,
        'event-type': row.topic,
      };
      const messages = messagesByTopic.get(topic) ?? [];
      messages.push({ key: row.key, value, headers });
      messagesByTopic.set(topic, messages);
      sendable.push(row.id);
    }
    return { messagesByTopic, sendable, unencodable };
  }

  async function pruneWhenDue(): Promise<void> {
    if (Date.now() - lastPruneAt < options.pruneIntervalMs) return;
    lastPruneAt = Date.now();
    const before = new Date(Date.now() - options.retentionHours * 3_600_000);
    const pruned = await outbox.prunePublished(before);
    if (pruned > 0)
      logger.info('pruned published outbox rows', { pruned, before: before.toISOString() });
  }

  /** One batch, as the leader; a standby only checks whether it can take over. */
  async function step(signal: AbortSignal): Promise<StepResult> {
    if (!(await leadership.acquire())) return 'idle';
    await producer.waitUntilCallable(signal);
    if (signal.aborted) return 'idle';
    const rows = await outbox.nextBatch(options.batchSize, [...heldOrders]);
    const published = rows.length > 0 ? await publishBatch(rows) : 0;
    await pruneWhenDue();
    return published < options.batchSize ? 'idle' : 'busy';
  }

  const loop = createBackgroundLoop({
    name: 'outbox publish',
    step,
    idleMs: options.pollIntervalMs,
    retryMinMs: options.retryMinMs,
    retryMaxMs: options.retryMaxMs,
    logger,
  });
  // Leadership's connection LISTENs for the insert trigger's NOTIFY: a new row ends the idle wait.
  const leadership = new RelayLeadership(options.databaseUrl, () => loop.wake(), logger);

  return {
    start: loop.start,
    async stop() {
      await loop.stop();
      await leadership.release();
    },
    isLeader: () => leadership.isLeader,
  };
}
