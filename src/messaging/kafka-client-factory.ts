import { readFileSync } from 'node:fs';
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';

/** How to reach the brokers safely: TLS and SASL, from the config keys below. */
export interface KafkaSecurity {
  /** TLS to the brokers; undefined means plaintext. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
}

/** The config keys of a broker connection: the service, the DLQ tool and the tests read these. */
export const KAFKA_SECURITY_KEYS = [
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
] as const;

/** Config has already checked that the keys fit together (SASL has both credentials, ...). */
export function kafkaSecurityOf(
  config: Pick<Config, (typeof KAFKA_SECURITY_KEYS)[number]>,
): KafkaSecurity {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD } = config;
  return {
    ...(config.KAFKA_SSL && {
      tls: {
        caFile: config.KAFKA_SSL_CA_FILE,
        certFile: config.KAFKA_SSL_CERT_FILE,
        keyFile: config.KAFKA_SSL_KEY_FILE,
      },
    }),
    ...(mechanism && {
      sasl: { mechanism, username: KAFKA_SASL_USERNAME ?? '', password: KAFKA_SASL_PASSWORD ?? '' },
    }),
  };
}

/** kafkajs's `ssl` and `sasl` options; the certificate files are read once, here. */
export function kafkaConnectionOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  const { tls, sasl } = security;
  return {
    // Certificates are always verified: there is deliberately no setting to turn that off.
    ...(tls && {
      ssl: {
        rejectUnauthorized: true,
        ...(tls.caFile && { ca: [read(tls.caFile) as Buffer] }),
        ...(tls.certFile && { cert: read(tls.certFile) }),
        ...(tls.keyFile && { key: read(tls.keyFile) }),
      },
    }),
    ...(sasl && { sasl: { ...sasl } as KafkaConfig['sasl'] }),
  };
}

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  requestTimeoutMs: number;
  security?: KafkaSecurity;
  logger: Logger;
}

/**
 * kafkajs warns on every start that bounded retries weaken the idempotent producer; bounded
 * retries are deliberate here (guarded-producer.ts), so the line is kept at debug.
 */
const EXPECTED_WARNINGS = new Set([
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
]);

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** kafkajs logs through our winston logger, namespaced like its own (`Kafka.Consumer`). */
export function createKafka({
  clientId,
  brokers,
  requestTimeoutMs,
  security = {},
  logger,
}: KafkaOptions): Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...kafkaConnectionOptions(security),
    requestTimeout: requestTimeoutMs,
    connectionTimeout: Math.min(requestTimeoutMs, 3_000),
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _logger, ...rest } = log;
        const mapped = EXPECTED_WARNINGS.has(message) ? 'debug' : (LEVELS[level] ?? 'info');
        logger.log(mapped, message, { namespace: `Kafka.${namespace}`, ...rest });
      },
  });
}
