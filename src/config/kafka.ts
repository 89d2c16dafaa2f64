import { z } from 'zod';
import type { KafkaSecurity } from '../messaging/kafka-client-factory';
import type { TopicGateSettings } from '../messaging/topic-gate';
import {
  booleanFromString,
  bothOrNeither,
  documented,
  optional,
  readableFile,
  type CrossKeyRule,
  type SettingsOf,
} from './documented-keys';
import { secureInProduction, type ProcessSettings } from './process';

/** The brokers, how to reach them safely, and the topics the service may create. */
export const kafkaKeys = {
  KAFKA_BROKERS: documented(
    z
      .string({ error: 'is required' })
      .transform((list) =>
        list
          .split(',')
          .map((broker) => broker.trim())
          .filter(Boolean),
      )
      .refine(
        (brokers) => brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d+$/.test(b)),
        'must be host:port[,host:port...]',
      ),
    {
      group: 'kafka',
      example: '127.0.0.1:9092',
      description:
        "comma-separated `host:port[,host:port...]`; `npm run local-stack` prints a local broker's address",
    },
  ),
  KAFKA_CLIENT_ID: documented(z.string().min(1).default('order-service'), {
    group: 'kafka',
    description: 'kafkajs client id',
  }),
  KAFKA_TOPIC_PREFIX: documented(
    z
      .string()
      .regex(/^[\w.-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
      .default(''),
    {
      group: 'kafka',
      description:
        'prepended to every topic name, e.g. `staging.`, so environments can share a cluster; letters, digits, `.`, `_` and `-`',
    },
  ),
  KAFKA_REQUEST_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'kafka',
    description: 'kafkajs request timeout',
  }),
  KAFKA_IDEMPOTENT_PRODUCER: documented(booleanFromString.default(true), {
    group: 'kafka',
    description:
      "Kafka's idempotent producer: a send retried after a lost acknowledgement is written once, and per-partition order holds across retries; `false` only for brokers without it (the kcat mock)",
  }),
  KAFKA_CREATE_TOPICS: documented(booleanFromString.default(false), {
    group: 'kafka',
    description:
      'create missing topics, and the dead-letter topics of the consumed ones, before each consumer join; off by default, as production clusters usually provision topics themselves',
  }),
  KAFKA_TOPIC_PARTITIONS: documented(z.coerce.number().int().min(1).default(6), {
    group: 'kafka',
    description: 'partitions of the topics the service creates',
  }),
  KAFKA_REPLICATION_FACTOR: documented(z.coerce.number().int().min(1).default(3), {
    group: 'kafka',
    description: 'replication factor of the topics the service creates',
  }),
  KAFKA_SSL: documented(booleanFromString.default(false), {
    group: 'kafka',
    description: 'TLS to the brokers; their certificates are always verified',
  }),
  KAFKA_SSL_CA_FILE: documented(readableFile(), {
    group: 'kafka',
    description: "PEM CA bundle; unset: the system's CAs; needs `KAFKA_SSL=true`",
  }),
  KAFKA_SSL_CERT_FILE: documented(readableFile(), {
    group: 'kafka',
    description:
      'PEM client certificate, for brokers that require one; optional, with `KAFKA_SSL_KEY_FILE`',
  }),
  KAFKA_SSL_KEY_FILE: documented(readableFile(), {
    group: 'kafka',
    description:
      "the client certificate's unencrypted PEM key (protect it as a secret file); with `KAFKA_SSL_CERT_FILE`",
  }),
  KAFKA_SASL_MECHANISM: documented(optional(z.enum(['plain', 'scram-sha-256', 'scram-sha-512'])), {
    group: 'kafka',
    description: 'SASL mechanism, unset for none; `plain` needs `KAFKA_SSL=true` in production',
  }),
  KAFKA_SASL_USERNAME: documented(optional(z.string().min(1)), {
    group: 'kafka',
    description: 'SASL username; required with `KAFKA_SASL_MECHANISM`',
  }),
  KAFKA_SASL_PASSWORD: documented(optional(z.string().min(1)), {
    group: 'kafka',
    secret: 'value',
    description: 'SASL password; required with `KAFKA_SASL_MECHANISM`',
  }),
};

export type KafkaSettings = SettingsOf<typeof kafkaKeys>;
type Rule = CrossKeyRule<KafkaSettings & ProcessSettings>;

export const kafkaRules: Rule[] = [
  secureInProduction('kafka', 'KAFKA_SSL', (config) => config.KAFKA_SSL, 'must be true'),
  bothOrNeither('KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'),
  {
    keys: ['KAFKA_SSL', 'KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE'],
    check: (config) =>
      !config.KAFKA_SSL && (config.KAFKA_SSL_CA_FILE || config.KAFKA_SSL_CERT_FILE)
        ? { key: 'KAFKA_SSL', message: 'must be true when KAFKA_SSL_*_FILE is set' }
        : undefined,
  },
  {
    keys: ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'],
    check: (config) => {
      const credentials = [config.KAFKA_SASL_USERNAME, config.KAFKA_SASL_PASSWORD];
      if (config.KAFKA_SASL_MECHANISM === undefined) {
        return credentials.some(Boolean)
          ? { key: 'KAFKA_SASL_MECHANISM', message: 'is required with KAFKA_SASL_USERNAME' }
          : undefined;
      }
      if (!config.KAFKA_SASL_USERNAME)
        return { key: 'KAFKA_SASL_USERNAME', message: 'is required with KAFKA_SASL_MECHANISM' };
      if (!config.KAFKA_SASL_PASSWORD)
        return { key: 'KAFKA_SASL_PASSWORD', message: 'is required with KAFKA_SASL_MECHANISM' };
      return undefined;
    },
  },
  {
    // PLAIN sends the password as it is: only inside TLS in production.
    keys: ['KAFKA_SASL_MECHANISM', 'KAFKA_SSL', 'NODE_ENV'],
    check: (config) =>
      config.KAFKA_SASL_MECHANISM === 'plain' &&
      !config.KAFKA_SSL &&
      config.NODE_ENV === 'production'
        ? {
            key: 'KAFKA_SASL_MECHANISM',
            message: 'plain needs KAFKA_SSL=true when NODE_ENV=production',
          }
        : undefined,
  },
];

/** The keys of a broker connection: the service, the DLQ tool and the tests read these. */
export const KAFKA_SECURITY_KEYS = [
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
] as const satisfies readonly (keyof KafkaSettings)[];

/** The rules above have already checked that the keys fit together (SASL has both credentials). */
export function kafkaSecurityOf(
  config: Pick<KafkaSettings, (typeof KAFKA_SECURITY_KEYS)[number]>,
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

export function kafkaOptions(config: KafkaSettings) {
  const topics: TopicGateSettings = {
    create: config.KAFKA_CREATE_TOPICS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
  };
  return {
    client: {
      clientId: config.KAFKA_CLIENT_ID,
      brokers: config.KAFKA_BROKERS,
      requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
      security: kafkaSecurityOf(config),
    },
    idempotentProducer: config.KAFKA_IDEMPOTENT_PRODUCER,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    topics,
  };
}
