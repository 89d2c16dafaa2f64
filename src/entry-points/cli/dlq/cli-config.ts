import {
  KAFKA_SECURITY_KEYS,
  loadConfigKeys,
  REGISTRY_CONNECTION_KEYS,
  type Config,
} from '../../../config';
import { CliError } from './cli-errors';

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
  'DLQ_ACTOR',
  // The service's bounds on what a record may cost to read, for `show`'s decoding.
  'CONSUMER_MAX_NODES',
  'CONSUMER_MAX_SCHEMA_EXPANSION',
] as const;

export type DlqConfig = Pick<Config, (typeof DLQ_KEYS)[number]>;

/** Throws ConfigError naming every bad key on one line, as the service does. */
export function loadDlqConfig(env: NodeJS.ProcessEnv): DlqConfig {
  return loadConfigKeys(DLQ_KEYS, env);
}

/** Who replays or skips, for the audit: DLQ_ACTOR, without which nothing is changed. */
export function actorOf(config: Pick<DlqConfig, 'DLQ_ACTOR'>): string {
  if (config.DLQ_ACTOR === undefined) {
    throw new CliError(
      "DLQ_ACTOR is not set: replay and skip write who acted to the operators' audit; " +
        'set it to your own name (nothing was changed)',
    );
  }
  return config.DLQ_ACTOR;
}
