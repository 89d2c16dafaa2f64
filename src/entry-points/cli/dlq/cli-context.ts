import type { Admin, Kafka } from 'kafkajs';
import {
  createDeadLetterActionsRepository,
  type DeadLetterActionsRepository,
} from '../../../data-access/dead-letter-actions-repository';
import { createDatabase, type Database } from '../../../data-access/prisma-client-factory';
import { createLogger } from '../../../shared/logger';
import { kafkaSecurityOf, registryConnectionOf } from '../../../config';
import { createKafka } from '../../../messaging/kafka-client-factory';
import { createRegistryClient } from '../../../messaging/schema-registry-client';
import { createWriterSchemas, type WriterSchemas } from '../../../messaging/writer-schemas';
import type { DlqConfig } from './cli-config';
import type { ReadOptions } from './dead-letter-records';

/** Where commands write: results to stdout, progress and the final error line to stderr. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Everything a command needs, created lazily so `list` never connects to what it does not use. */
export interface DlqContext {
  config: DlqConfig;
  output: Output;
  kafka: Kafka;
  admin(): Promise<Admin>;
  /** Writer schemas by id, held to the service's expansion bound. */
  writers: WriterSchemas;
  actions(): DeadLetterActionsRepository;
  readOptions: ReadOptions;
  close(): Promise<void>;
}

/**
 * Short timeouts and few retries: an operator at a terminal wants one clear line within seconds
 * when the broker or the database cannot be reached, not kafkajs's minutes of retrying.
 */
export function createDlqContext(config: DlqConfig, output: Output): DlqContext {
  const kafka = createKafka({
    clientId: 'order-dlq',
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurityOf(config),
    requestTimeoutMs: 10_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
    logger: createLogger('silent'),
  });
  const writers = createWriterSchemas(
    createRegistryClient({ ...registryConnectionOf(config), retries: 1 }),
    { maxExpansion: config.CONSUMER_MAX_SCHEMA_EXPANSION },
  );
  let admin: Promise<Admin> | undefined;
  let db: Database | undefined;
  return {
    config,
    output,
    kafka,
    writers,
    readOptions: { timeoutMs: 60_000, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
    admin() {
      admin ??= (async () => {
        const client = kafka.admin();
        await client.connect();
        return client;
      })();
      return admin;
    },
    actions() {
      db ??= createDatabase({
        url: config.DATABASE_URL,
        poolSize: 2,
        connectTimeoutMs: 5_000,
        logger: createLogger('silent'),
      });
      return createDeadLetterActionsRepository(db);
    },
    async close() {
      await Promise.allSettled([admin?.then((client) => client.disconnect()), db?.$disconnect()]);
    },
  };
}
