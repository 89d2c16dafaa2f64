import type express from 'express';
import type { Database } from './data-access/prisma-client-factory';
import { createDeadLetterIndexRepository } from './data-access/dead-letter-index-repository';
import { cancelOrder } from './domain/cancel-order-use-case';
import { withGroup, type DeadLetterEntry } from './domain/dead-letter-index';
import type { SagaStore } from './domain/saga-store';
import type { StepTimeouts } from './domain/saga-transitions';
import { createConsoleRouter, type ConsoleSettings } from './entry-points/console/console-router';
import type { LiveState } from './entry-points/console/console-dependencies';
import { createDeadLetterReconciler } from './entry-points/console/dead-letter-reconciler';
import { createTokenReader, type AuthenticationSettings } from './entry-points/http/authentication';
import type { InboundRecordDecoder } from './messaging/inbound-record-decoder';
import type { Messaging } from './messaging/messaging-factory';
import type { Logger } from './shared/logger';
import type { ShutdownStep } from './shared/shutdown';

/**
 * The operator console's share of the composition root (application.ts): the dead-letter index
 * the saga's dead-letter publisher writes on the saga's pool, and, on the console's own pool,
 * the reconciler and the router the admin port mounts at /console.
 */
export function deadLetterIndexWriter(workerDb: Database) {
  const index = createDeadLetterIndexRepository(workerDb);
  return async (entry: DeadLetterEntry) => {
    await index.add([withGroup(entry)], 'writer');
  };
}

export interface OperatorConsole {
  router: express.Router;
  /** A reconciliation in flight holds a Kafka consumer: it ends before the pools close. */
  stopStep: ShutdownStep;
}

export function createOperatorConsole(dependencies: {
  db: Database;
  /** The saga store on the console's pool: an operator's cancel. */
  saga: SagaStore;
  stepTimeouts: StepTimeouts;
  settings: ConsoleSettings;
  authentication: AuthenticationSettings;
  messaging: Messaging;
  topicPrefix: string;
  decoder: InboundRecordDecoder;
  /** Resolves once the topics exist: the console indexes what its index misses then. */
  topicsProvisioned: Promise<void>;
  stopping: () => boolean;
  liveState: () => Promise<LiveState>;
  logger: Logger;
}): OperatorConsole {
  const { db, authentication, messaging, topicPrefix, logger } = dependencies;
  const reconciler = createDeadLetterReconciler({
    kafka: messaging.kafka,
    index: createDeadLetterIndexRepository(db),
    topicPrefix,
    logger,
  });
  const startupReconcile = dependencies.topicsProvisioned.then(() =>
    dependencies.stopping() ? undefined : reconciler.run().then(() => undefined),
  );
  startupReconcile.catch(() => undefined);
  const router = createConsoleRouter({
    readToken: authentication.mode === 'jwt' ? createTokenReader(authentication) : undefined,
    db,
    topicPrefix,
    decoder: dependencies.decoder,
    replayProducer: messaging.deadLetterProducer,
    reconciler,
    cancelOrder: (orderId, user, reason) =>
      cancelOrder(
        { saga: dependencies.saga, timeouts: dependencies.stepTimeouts, via: 'console' },
        { kind: 'operator', subject: user.subject },
        orderId,
        { reason },
      ),
    liveState: dependencies.liveState,
    settings: dependencies.settings,
    logger,
  });
  return {
    router,
    stopStep: {
      name: 'console reconciler',
      run: () => reconciler.stop(),
    },
  };
}
