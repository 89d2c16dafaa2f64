import { loadConfigKeys, type Config } from '../../../config';

/**
 * The four keys the DLQ tool reads, with the service's own rules, and nothing else of its
 * configuration: it runs next to the service (same database, brokers, registry and prefix).
 */
const DLQ_KEYS = [
  'DATABASE_URL',
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'KAFKA_TOPIC_PREFIX',
] as const;

export type DlqConfig = Pick<Config, (typeof DLQ_KEYS)[number]>;

/** Throws ConfigError naming every bad key on one line, as the service does. */
export function loadDlqConfig(env: NodeJS.ProcessEnv): DlqConfig {
  return loadConfigKeys(DLQ_KEYS, env);
}
