/**
 * Registers the schemas of the topics this service produces (`schemas/*.avsc`) under
 * `<prefix><topic>-value`, with the same compatibility rules as start-up, and prints one line per
 * subject with its id. A release step: run it before rolling out a version whose schemas changed.
 *
 *   SCHEMA_REGISTRY_URL=http://registry:8081 KAFKA_TOPIC_PREFIX=staging. npm run schemas:register
 *
 * Reads only SCHEMA_REGISTRY_URL, SCHEMA_COMPATIBILITY, KAFKA_TOPIC_PREFIX and LOG_LEVEL (no
 * database, no broker).
 * Exit 0 when every schema is registered; exit 1 with one line on stderr when a schema is
 * incompatible, the registry cannot be reached or the configuration is bad.
 */
import winston from 'winston';
import { loadConfigKeys } from '../../config';
import { registerSchemas, SchemaIncompatibleError } from '../../messaging/schema-registration';
import { createRegistryClient } from '../../messaging/schema-registry-client';
import { PRODUCED_TOPICS, subjectFor } from '../../messaging/topics';
import { createLogger } from '../../shared/logger';

/** The four keys this command reads, with the service's own rules; no others are required. */
function loadCliConfig(env: NodeJS.ProcessEnv) {
  const config = loadConfigKeys(
    ['SCHEMA_REGISTRY_URL', 'SCHEMA_COMPATIBILITY', 'KAFKA_TOPIC_PREFIX', 'LOG_LEVEL'],
    env,
  );
  return {
    registryUrl: config.SCHEMA_REGISTRY_URL,
    compatibility: config.SCHEMA_COMPATIBILITY,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    logLevel: config.LOG_LEVEL,
  };
}

async function main(): Promise<void> {
  const { registryUrl, compatibility, topicPrefix, logLevel } = loadCliConfig(process.env);
  // Logs go to stderr: stdout carries only the result lines.
  const logger = createLogger(logLevel, { namespace: 'SchemaRegistry' });
  logger.clear();
  logger.add(
    new winston.transports.Console({ stderrLevels: Object.keys(winston.config.npm.levels) }),
  );
  const registry = createRegistryClient({ url: registryUrl, retries: 2 });
  let ids: Map<string, number>;
  try {
    ids = await registerSchemas(registry, PRODUCED_TOPICS, {
      topicPrefix,
      compatibility,
      logger,
    });
  } catch (error) {
    if (error instanceof SchemaIncompatibleError) throw error;
    throw new Error(`Schema registry at ${registryUrl} failed: ${messageOf(error)}`);
  }
  for (const [topic, id] of ids) {
    process.stdout.write(`subject=${subjectFor(topicPrefix, topic)} id=${id}\n`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main().catch((error: unknown) => {
  // One line, never a stack: a bad key (ConfigError names it), an incompatible schema (the
  // subject) or an unreachable registry (its URL) is the operator's to fix.
  const reason = messageOf(error).replace(/\s+/g, ' ').trim();
  process.stderr.write(`schemas:register failed: ${reason}\n`);
  process.exitCode = 1;
});
