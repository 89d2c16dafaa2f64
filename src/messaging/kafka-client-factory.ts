import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '../shared/logger';

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  requestTimeoutMs: number;
  logger: Logger;
}

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
        logger.log(LEVELS[level] ?? 'info', message, { namespace: `Kafka.${namespace}`, ...rest });
      },
  });
}
