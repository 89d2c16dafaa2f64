import type { Kafka } from 'kafkajs';
import type { DeadLetterIndexRepository } from '../../data-access/dead-letter-index-repository';
import { withGroup } from '../../domain/dead-letter-index';
import {
  deadLetterEntryOf,
  partitionRanges,
  readDeadLetterTopic,
} from '../../messaging/dead-letter-records';
import { consumedDeadLetterTopics } from '../../messaging/topics';
import { errorMessage } from '../../shared/app-error';
import type { Logger } from '../../shared/logger';

export interface ReconcileReport {
  topics: Array<{ topic: string; partitionsRead: number[]; added: number }>;
}

export interface DeadLetterReconciler {
  /** Fills the index from the DLQ topics; calls while one runs share it. */
  run(): Promise<ReconcileReport>;
  /** Stops a run in flight and refuses new ones; resolves once none is left (pools close after). */
  stop(): Promise<void>;
}

/**
 * The index misses dead letters written by another instance before it had the index, or whose
 * index write failed: this compares, per DLQ partition, the records Kafka holds (low to high
 * watermark) with the rows indexed, and reads only the partitions that fall short.
 */
export function createDeadLetterReconciler(dependencies: {
  kafka: Kafka;
  index: DeadLetterIndexRepository;
  topicPrefix: string;
  logger: Logger;
}): DeadLetterReconciler {
  const { kafka, index, topicPrefix, logger } = dependencies;
  let running: Promise<ReconcileReport> | undefined;
  const stopping = new AbortController();
  const { signal } = stopping;

  async function reconcile(): Promise<ReconcileReport> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const report: ReconcileReport = { topics: [] };
      for (const topic of consumedDeadLetterTopics(topicPrefix)) {
        signal.throwIfAborted();
        if (!existing.has(topic)) continue;
        const ranges = await partitionRanges(admin, topic);
        const indexed = await index.indexedCounts(topic, ranges);
        const short = ranges
          .filter(({ partition, low, high }) => {
            const held = Number(BigInt(high) - BigInt(low));
            return held > (indexed.get(partition) ?? 0);
          })
          .map(({ partition }) => partition);
        if (short.length === 0) continue;
        const records = await readDeadLetterTopic(kafka, admin, topic, {
          timeoutMs: 60_000,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1_000,
          partitions: short,
          signal,
        });
        const added = await index.add(
          records.map((record) => withGroup(deadLetterEntryOf(record))),
          'reconciler',
        );
        report.topics.push({ topic, partitionsRead: short, added });
        if (added > 0) logger.info('dead letters indexed from their topic', { topic, added });
      }
      return report;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  return {
    run() {
      if (signal.aborted) return Promise.reject(new Error('the console is stopping'));
      running ??= reconcile()
        .catch((error: unknown) => {
          logger.warn('dead-letter reconciliation failed', { error: errorMessage(error) });
          throw error;
        })
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    async stop() {
      stopping.abort();
      await running?.catch(() => undefined);
    },
  };
}
