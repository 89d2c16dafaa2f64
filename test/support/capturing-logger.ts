import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, type LogLevel } from '../../src/shared/logger';

export interface LogEntry {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** The service's own logger (same format and fields), keeping its entries in an array. */
export function capturingLogger(level: LogLevel = 'info') {
  const entries: LogEntry[] = [];
  const logger = createLogger(level);
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(info: LogEntry, _encoding, done) {
          entries.push(info);
          done();
        },
      }),
    }),
  );
  return { logger, entries };
}
