import winston from 'winston';
import { currentRequestContext } from './request-context';
import { activeTraceId } from './trace-context';
import { createRedactor, redactDeep, type Redactor } from './redaction';

export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug' | 'silent';
export type Logger = winston.Logger;

export interface LoggerOptions {
  /** Values never to be written (config secrets); URL passwords are always removed. */
  secrets?: readonly string[];
}

/**
 * Adds the current request id and order id, when there are, to every entry, and the trace id
 * when tracing is on (src/shared/trace-context.ts).
 */
const requestIdFormat = winston.format((info) => {
  const context = currentRequestContext();
  if (context && info.requestId === undefined) info.requestId = context.requestId;
  if (context?.orderId && info.orderId === undefined) info.orderId = context.orderId;
  const traceId = activeTraceId();
  if (traceId && info.trace_id === undefined) info.trace_id = traceId;
  return info;
});

/**
 * Scrubs every field of every entry, whoever wrote it (our code, kafkajs through its log
 * creator, a library's error message): the last line of defence for secrets.
 */
function redactionFormat(redact: Redactor) {
  return winston.format((info) => {
    for (const key of Object.keys(info)) {
      if (key !== 'level') info[key] = redactDeep(info[key], redact);
    }
    return info;
  })();
}

/**
 * One JSON object per line on stdout. Child loggers carry a `namespace`
 * (`logger.child({ namespace: 'OutboxRelay' })`), as kafkajs does.
 */
export function createLogger(
  level: LogLevel,
  defaultMeta: Record<string, unknown> = {},
  options: LoggerOptions = {},
): Logger {
  // winston runs every format before its transport drops an entry below the level: an entry
  // that will not be written is dropped first, before it is enriched, scrubbed and serialised
  // (one per request at `http`, issue 23).
  const logger: Logger = winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    defaultMeta: { service: 'order-service', ...defaultMeta },
    format: winston.format.combine(
      winston.format((info) => logger.isLevelEnabled(info.level) && info)(),
      requestIdFormat(),
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      redactionFormat(createRedactor(options.secrets ?? [])),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
  return logger;
}
