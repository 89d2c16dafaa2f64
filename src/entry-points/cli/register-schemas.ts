/**
 * Registers the schemas of the topics this service produces (`schemas/*.avsc`) under
 * `<prefix><topic>-value`, with the same compatibility rules as start-up, and prints one line per
 * subject with its id. A release step: run it before rolling out a version whose schemas changed.
 *
 *   SCHEMA_REGISTRY_URL=http://registry:8081 KAFKA_TOPIC_PREFIX=staging. npm run schemas:register
 *
 * Reads only the registry's keys (SCHEMA_REGISTRY_URL and its credentials and TLS files, as the
 * service does), SCHEMA_COMPATIBILITY, KAFKA_TOPIC_PREFIX, LOG_LEVEL and NODE_ENV (no database,
 * no broker).
 * Exit 0 when every schema is registered; exit 1 with one line on stderr when a schema is
 * incompatible, the registry cannot be reached or the configuration is bad.
 */
import winston from 'winston';
import {
  insecureTransportWarnings,
  loadConfigKeys,
  REGISTRY_CONNECTION_KEYS,
  registryConnectionOf,
  secretsOf,
} from '../../config';
import { registerSchemas, SchemaIncompatibleError } from '../../messaging/schema-registration';
import { createRegistryClient } from '../../messaging/schema-registry-client';
import { PRODUCED_TOPICS, subjectFor } from '../../messaging/topics';
import { errorMessage } from '../../shared/app-error';
import { createLogger } from '../../shared/logger';
import { createRedactor } from '../../shared/redaction';

/** The keys this command reads, with the service's own rules; no others are required. */
const KEYS = [
  ...REGISTRY_CONNECTION_KEYS,
  'SCHEMA_COMPATIBILITY',
  'KAFKA_TOPIC_PREFIX',
  'LOG_LEVEL',
  'NODE_ENV',
  'ALLOW_INSECURE_TRANSPORT',
] as const;

let redact = createRedactor([]);

async function main(): Promise<void> {
  const config = loadConfigKeys(KEYS, process.env);
  redact = createRedactor(secretsOf(config));
  const connection = registryConnectionOf(config);
  const topicPrefix = config.KAFKA_TOPIC_PREFIX;
  const compatibility = config.SCHEMA_COMPATIBILITY;
  // Logs go to stderr: stdout carries only the result lines.
  const logger = createLogger(
    config.LOG_LEVEL,
    { namespace: 'SchemaRegistry' },
    { secrets: secretsOf(config) },
  );
  logger.clear();
  logger.add(
    new winston.transports.Console({ stderrLevels: Object.keys(winston.config.npm.levels) }),
  );
  for (const { message, link } of insecureTransportWarnings(config)) logger.warn(message, { link });
  const registry = createRegistryClient({ ...connection, retries: 2 });
  let ids: Map<string, number>;
  try {
    ids = await registerSchemas(registry, PRODUCED_TOPICS, {
      topicPrefix,
      compatibility,
      logger,
    });
  } catch (error) {
    if (error instanceof SchemaIncompatibleError) throw error;
    throw new Error(`Schema registry at ${connection.url} failed: ${errorMessage(error)}`);
  }
  for (const [topic, id] of ids) {
    process.stdout.write(`subject=${subjectFor(topicPrefix, topic)} id=${id}\n`);
  }
}

main().catch((error: unknown) => {
  // One line, never a stack: a bad key (ConfigError names it), an incompatible schema (the
  // subject) or an unreachable registry (its URL) is the operator's to fix.
  const reason = redact(errorMessage(error)).replace(/\s+/g, ' ').trim();
  process.stderr.write(`schemas:register failed: ${reason}\n`);
  process.exitCode = 1;
});
