import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../shared/logger';

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  requestTimeoutMs: number;
  logger: Logger;
}

/**
 * kafkajs warns on every start that bounded retries weaken the idempotent producer; bounded
 * retries are deliberate here (guarded-producer.ts), so the line is kept at debug.
 */
const EXPECTED_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs logs through our winston logger, namespaced like its own (`Kafka.Consumer`). */
export function createKafka({ clientId, brokers, requestTimeoutMs, logger }: KafkaOptions): Kafka {
  return new Kafka({
    clientId,
    brokers,
    requestTimeout: requestTimeoutMs,
    connectionTimeout: Math.min(requestTimeoutMs, 3_000),
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...rest } = log;
        const mapped = EXPECTED_WARNINGS.has(message) ? 'debug' : (LEVELS[level] ?? 'info');
        logger.log(mapped, message, { namespace: `Kafka.${namespace}`, ...rest });
      },
  });
}
