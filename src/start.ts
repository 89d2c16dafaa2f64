// First: tracing, when on, must patch http, express, pg and kafkajs before they load.
import { shutdownTracing } from './tracing';
import {
  ConfigError,
  insecureTransportWarnings,
  loadConfig,
  secretsOf,
  type Config,
} from './config';
import { startOrderService } from './application';
import { createLogger } from './shared/logger';
import { createRedactor } from './shared/redaction';

let config: Config | undefined;

/** Process entry point: config, start everything, and stop in order on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, {}, { secrets: secretsOf(config) });
  // Before anything connects: an opted-out link is said out loud, once per link.
  for (const { message, link } of insecureTransportWarnings(config)) logger.warn(message, { link });
  const service = await startOrderService(config, logger);

  let stopping = false;
  const shutdown = (reason: Record<string, string>, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', reason);
    // The traces are flushed last, under the same deadline: a collector that does not answer
    // cannot hold the process past SHUTDOWN_TIMEOUT_MS.
    service.stop([{ name: 'tracing', run: shutdownTracing }]).then(
      () => {
        logger.info('stopped cleanly');
        process.exit(exitCode);
      },
      (error: unknown) => {
        // One line: what failed, or what was still running at SHUTDOWN_TIMEOUT_MS.
        logger.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown({ signal: 'SIGTERM' }));
  process.on('SIGINT', () => shutdown({ signal: 'SIGINT' }));
  // What the service cannot run past (a refused schema or refused credentials) ends it as a
  // failed start-up does: stopped in order, then the same one line.
  void service.fatal.then((error) => {
    process.once('exit', () => writeFailure(error));
    shutdown({ error: error.message }, 1);
  });
}

/**
 * Config errors are the operator's to fix: one clear line, no stack. Either kind of line is
 * scrubbed of the configured secrets, since a library's error may quote a connection string.
 */
function writeFailure(error: unknown): void {
  const line = error instanceof ConfigError ? error.message : `Failed to start: ${String(error)}`;
  const redact = createRedactor(config ? secretsOf(config) : []);
  process.stderr.write(`${redact(line).replace(/\s+/g, ' ').trim()}\n`);
}

main().catch((error: unknown) => {
  writeFailure(error);
  process.exit(1);
});
