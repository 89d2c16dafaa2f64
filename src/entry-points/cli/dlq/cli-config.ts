import { loadConfigKeys, type Config } from '../../../config';
import { KAFKA_SECURITY_KEYS } from '../../../messaging/kafka-client-factory';
import { REGISTRY_CONNECTION_KEYS } from '../../../messaging/schema-registry-client';

/**
 * The keys the DLQ tool reads, with the service's own rules, and nothing else of its
 * configuration: it runs next to the service (same database, brokers, registry and prefix, and
 * the same TLS, SASL and registry credentials).
 */
const DLQ_KEYS = [
  'NODE_ENV',
  'ALLOW_INSECURE_TRANSPORT',
  'DATABASE_URL',
  'KAFKA_BROKERS',
  'KAFKA_IDEMPOTENT_PRODUCER',
  ...KAFKA_SECURITY_KEYS,
  ...REGISTRY_CONNECTION_KEYS,
  'KAFKA_TOPIC_PREFIX',
] as const;

export type DlqConfig = Pick<Config, (typeof DLQ_KEYS)[number]>;

/** Throws ConfigError naming every bad key on one line, as the service does. */
export function loadDlqConfig(env: NodeJS.ProcessEnv): DlqConfig {
  return loadConfigKeys(DLQ_KEYS, env);
}
