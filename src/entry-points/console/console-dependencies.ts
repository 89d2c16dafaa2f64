import type express from 'express';
import type { TopicMessages } from 'kafkajs';
import type { Database } from '../../data-access/prisma-client-factory';
import type { InboundRecordDecoder } from '../../messaging/inbound-record-decoder';
import type { Logger } from '../../shared/logger';
import type { ConsoleTokenReader, ConsoleUser } from './console-auth';
import type { DeadLetterReconciler } from './dead-letter-reconciler';
import type { SharedReads } from './shared-reads';

/** What the console's features are built from (application.ts wires them). */
export interface ConsoleSettings {
  stuckAfterSeconds: number;
  bulkActionLimit: number;
  /** Console API requests served at once; the rest wait (a bounded queue), then 503. */
  maxConcurrentRequests: number;
  /** Seconds the overview's figures and the group lists are shared for (shared-reads.ts). */
  summaryMaxAgeSeconds: number;
  /** `https://…/{traceId}`, or undefined: no trace links. */
  traceUrlTemplate: string | undefined;
}

export interface ConsoleDependencies {
  /** The API's token check; undefined with AUTH_MODE=none. */
  readToken: ConsoleTokenReader;
  /** The console's own pool (CONSOLE_DATABASE_POOL_SIZE), never the API's. */
  db: Database;
  settings: ConsoleSettings;
  topicPrefix: string;
  /** The consumer's own decoder: a dry run decodes exactly as a replayed record would be. */
  decoder: InboundRecordDecoder;
  /** Replays are sent through the dead-letter producer (its own breaker, acks from all ISRs). */
  replayProducer: { send(topicMessages: TopicMessages[]): Promise<unknown> };
  reconciler: DeadLetterReconciler;
  /**
   * The API's cancel use case on the console's pool, audited as the console's: answers the
   * order as it is now, or throws its not-found / not-cancellable errors.
   */
  cancelOrder(orderId: string, user: ConsoleUser, reason: string): Promise<unknown>;
  /** This instance's live state, for the overview. */
  liveState(): Promise<LiveState>;
  logger: Logger;
}

export interface LiveState {
  producerBreaker: string;
  deadLetterBreaker: string;
  /** The outbox relay slots this instance holds. */
  relaySlots: readonly number[];
  consumer: string;
  /** Records behind, per consumed topic (consumer_lag_records, summed over partitions). */
  consumerLag: Record<string, number>;
}

/** What each feature is given: the dependencies, and the reads all consoles share. */
export type ConsoleFeatureContext = ConsoleDependencies & { sharedReads: SharedReads };

/** A feature's routes, registered under /console/api/ once the caller is known to be a viewer. */
export type ConsoleFeature = (context: ConsoleFeatureContext) => express.Router;
