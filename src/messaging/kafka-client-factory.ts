import { readFileSync } from 'node:fs';
import {
  Kafka,
  logLevel as KafkaLogLevel,
  type KafkaConfig,
  type LogEntry,
  type ProducerConfig,
  type RetryOptions,
} from 'kafkajs';
import type { Logger } from '../shared/logger';
import { Murmur2Partitioner } from './murmur2-partitioner';

/** How to reach the brokers safely: TLS and SASL (src/config/kafka.ts builds it from the keys). */
export interface KafkaSecurity {
  /** TLS to the brokers; undefined means plaintext. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
}

/** kafkajs's `ssl` and `sasl` options; the certificate files are read once, here. */
export function kafkaConnectionOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  const { tls, sasl } = security;
  return {
    // Certificates are always verified: there is deliberately no setting to turn that off.
    ...(tls && {
      ssl: {
        rejectUnauthorized: true,
        ...(tls.caFile && { ca: [read(tls.caFile) as Buffer] }),
        ...(tls.certFile && { cert: read(tls.certFile) }),
        ...(tls.keyFile && { key: read(tls.keyFile) }),
      },
    }),
    ...(sasl && { sasl: { ...sasl } as KafkaConfig['sasl'] }),
  };
}

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  requestTimeoutMs: number;
  security?: KafkaSecurity;
  logger: Logger;
  /** kafkajs's own retries of a request; its defaults unless a caller wants answers sooner. */
  retry?: RetryOptions;
}

/**
 * How this project produces, everywhere it does (the service's guarded producer, the DLQ
 * tool's replay, the simulators): one request in flight, so each partition's records stay in
 * the order they were sent; idempotent where the broker supports it, so a send retried after a
 * lost acknowledgement is written once; the default (murmur2) partitioner, the Java client's
 * (murmur2-partitioner.ts: kafkajs' rules with a faster hash), so peers on any client agree on
 * which partition an order id maps to; and no topic is ever created by sending to it. Retries
 * are bounded: callers need sends that fail in bounded time (kafkajs warns that this weakens
 * idempotence; resending the same batch is still deduplicated).
 */
export function producerSettings(idempotent: boolean): ProducerConfig {
  return {
    createPartitioner: Murmur2Partitioner,
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
    idempotent,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
}

/**
 * kafkajs warns on every start that bounded retries weaken the idempotent producer; bounded
 * retries are deliberate here (guarded-producer.ts), so the line is kept at debug.
 */
const EXPECTED_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

/**
 * Broker answers that kafkajs handles itself, by rejoining the group or retrying against the
 * group's coordinator once it is known or loaded: its connection logs each at error level all
 * the same (`Response Heartbeat(…)`, with the broker's message), and each is routine (an
 * instance joining or stopping, a broker starting or moving a coordinator), so they are warnings
 * here. If one persists, what kafkajs then gives up on is logged as an error where it surfaces.
 * The texts are kafkajs's messages for REBALANCE_IN_PROGRESS (27), GROUP_LOAD_IN_PROGRESS
 * (14), GROUP_COORDINATOR_NOT_AVAILABLE (15) and NOT_COORDINATOR_FOR_GROUP (16).
 */
const HANDLED_RESPONSE_ERRORS = new Set([
  'The group is rebalancing, so a rejoin is needed',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
]);

const LEVELS: Record<number, LogLevelName> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** The level a kafkajs log line is written at: kafkajs's own, but for the lines above. */
export function kafkaLogLevel({ level, log }: Pick<LogEntry, 'level' | 'log'>): LogLevelName {
  if (EXPECTED_WARNINGS.has(log.message)) return 'debug';
  const brokerError: unknown = (log as { error?: unknown }).error;
  if (
    level === KafkaLogLevel.ERROR &&
    log.message.startsWith('Response ') &&
    typeof brokerError === 'string' &&
    HANDLED_RESPONSE_ERRORS.has(brokerError)
  ) {
    return 'warn';
  }
  return LEVELS[level] ?? 'info';
}

type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

/** kafkajs logs through our winston logger, namespaced like its own (`Kafka.Consumer`). */
export function createKafka({
  clientId,
  brokers,
  requestTimeoutMs,
  security = {},
  logger,
  retry,
}: KafkaOptions): Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...kafkaConnectionOptions(security),
    ...(retry && { retry }),
    requestTimeout: requestTimeoutMs,
    connectionTimeout: Math.min(requestTimeoutMs, 3_000),
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...rest } = log;
        logger.log(kafkaLogLevel({ level, log }), message, {
          namespace: `Kafka.${namespace}`,
          ...rest,
        });
      },
  });
}
