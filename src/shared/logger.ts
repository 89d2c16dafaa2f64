import winston from 'winston';
import { currentRequestContext } from './request-context';

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug' | 'silent';
export type Logger = winston.Logger;

/** Adds the current request id, when there is one, to every entry. */
const requestIdFormat = winston.format((info) => {
  const context = currentRequestContext();
  if (context && info.requestId === undefined) info.requestId = context.requestId;
  return info;
});

/**
 * One JSON object per line on stdout. Child loggers carry a `namespace`
 * (`logger.child({ namespace: 'OutboxRelay' })`), as kafkajs does.
 */
export function createLogger(level: LogLevel, defaultMeta: Record<string, unknown> = {}): Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    defaultMeta: { service: 'order-service', ...defaultMeta },
    format: winston.format.combine(
      requestIdFormat(),
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}
