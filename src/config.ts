import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { redactUrls, secretsInUrl } from './shared/redaction';

/**
 * The whole environment the service reads, in one schema. Every key is documented in
 * README.md and .env.example; `loadConfig` refuses to start on a bad or missing value.
 */
const booleanFromString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** An unset key, or one set to the empty string (as `.env` files write it), is absent. */
const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** A path the process can read now, so a missing certificate stops start-up, not the first send. */
const readableFile = optional(
  z.string().refine((path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }, 'must name a readable file'),
);

const port = z.coerce.number().int().min(0).max(65535);

/** Loopback hosts, where plain http cannot be intercepted on the way. */
const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

const configObject = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** HTTP port; 0 picks a free one (tests). */
  PORT: port.default(3000),
  /** Port of /metrics and the detailed readiness report; never exposed to customers. */
  ADMIN_PORT: port.default(9464),
  /** Time a client gets to send all request headers (slowloris). */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Time a client gets to send the whole request, body included. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Idle keep-alive connections are closed after this; keep it above a proxy's idle timeout. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),

  /** `jwt`: every API call needs a bearer token. `none`: no checks (development, demo, tests). */
  AUTH_MODE: z.enum(['jwt', 'none']).default('jwt'),
  /** HS256 shared secret. */
  AUTH_JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  /** JSON Web Key Set of an identity provider (RS256, ES256); keys are cached and refreshed. */
  AUTH_JWKS_URL: optional(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine(
        (url) => url.startsWith('https:') || isLoopback(new URL(url)),
        'must be https (plain http only on localhost)',
      ),
  ),
  /** Required `iss` of every token, when set. */
  AUTH_ISSUER: optional(z.string().min(1)),
  /** Required `aud` of every token, when set. */
  AUTH_AUDIENCE: optional(z.string().min(1)),
  /** Orders one subject may create per minute and instance; 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60),

  DATABASE_URL: z
    .string({ error: 'is required' })
    .refine((url) => /^postgres(ql)?:\/\//.test(url), 'must be a postgres:// or postgresql:// URL'),
  /** Connections for the HTTP API. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Connections for the saga consumer, the outbox relay and the deadline sweeper: a pool of
   * their own, so a flood of API requests cannot make the saga miss its deadlines.
   */
  DATABASE_WORKER_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(6),
  /** How long a request waits for a pooled connection before the API answers 503. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** Postgres cancels any statement running longer (`statement_timeout`). */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).default('info'),
  /** Time allowed for in-flight work to finish on SIGTERM before connections are cut. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Trust X-Forwarded-* from a proxy in front (express `trust proxy`). */
  TRUST_PROXY: booleanFromString.default(false),

  /** Comma-separated `host:port` list. */
  KAFKA_BROKERS: z
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
  KAFKA_CLIENT_ID: z.string().min(1).default('order-service'),
  /** Prepended to every topic name (e.g. `staging.`), so environments can share a cluster. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
    .default(''),
  KAFKA_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /**
   * Kafka's idempotent producer: a send retried after a lost acknowledgement is written once,
   * and per-partition order holds across retries. Off only for brokers without it (the mock).
   */
  KAFKA_IDEMPOTENT_PRODUCER: booleanFromString.default(true),
  /**
   * Create the service's topics, and the dead-letter topics of the ones it consumes, at
   * start-up. Off by default: production clusters usually provision topics themselves.
   */
  KAFKA_CREATE_TOPICS: booleanFromString.default(false),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).default(6),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(3),
  /** TLS to the brokers; the CA defaults to the system's, the client certificate is optional. */
  KAFKA_SSL: booleanFromString.default(false),
  KAFKA_SSL_CA_FILE: readableFile,
  KAFKA_SSL_CERT_FILE: readableFile,
  KAFKA_SSL_KEY_FILE: readableFile,
  KAFKA_SASL_MECHANISM: optional(z.enum(['plain', 'scram-sha-256', 'scram-sha-512'])),
  KAFKA_SASL_USERNAME: optional(z.string().min(1)),
  KAFKA_SASL_PASSWORD: optional(z.string().min(1)),
  SCHEMA_REGISTRY_URL: z
    .string({ error: 'is required' })
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
    .refine(
      (url) => !new URL(url).username && !new URL(url).password,
      'must not carry credentials; set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD',
    ),
  /** HTTP basic auth to the registry. */
  SCHEMA_REGISTRY_USERNAME: optional(z.string().min(1)),
  SCHEMA_REGISTRY_PASSWORD: optional(z.string().min(1)),
  /** For an https registry: a private CA, and a client certificate if it asks for one. */
  SCHEMA_REGISTRY_CA_FILE: readableFile,
  SCHEMA_REGISTRY_CERT_FILE: readableFile,
  SCHEMA_REGISTRY_KEY_FILE: readableFile,
  /**
   * Compatibility level the service sets on the subjects it produces, before registering; the
   * registry then refuses any schema change that breaks it. FULL_TRANSITIVE: every registered
   * version can read data written with every other, so consumers on any version keep working.
   */
  SCHEMA_COMPATIBILITY: z
    .enum([
      'BACKWARD',
      'BACKWARD_TRANSITIVE',
      'FORWARD',
      'FORWARD_TRANSITIVE',
      'FULL',
      'FULL_TRANSITIVE',
      'NONE',
    ])
    .default('FULL_TRANSITIVE'),

  /** Most outbox rows the relay sends to Kafka in one batch. */
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Fallback poll when no LISTEN/NOTIFY wake-up arrives (e.g. notifications lost on reconnect). */
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  /** Backoff after a failed publish: exponential from MIN to MAX, with full jitter. */
  OUTBOX_RETRY_MIN_MS: z.coerce.number().int().min(1).default(200),
  OUTBOX_RETRY_MAX_MS: z.coerce.number().int().min(1).default(30_000),
  /** Published rows older than this are deleted; unpublished rows never are. */
  OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(72),
  OUTBOX_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1_000).default(600_000),

  /** opossum settings for the breaker around every Kafka send. */
  BREAKER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  BREAKER_ERROR_THRESHOLD_PERCENT: z.coerce.number().min(1).max(100).default(50),
  BREAKER_VOLUME_THRESHOLD: z.coerce.number().int().min(1).default(3),
  BREAKER_RESET_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  BREAKER_ROLLING_WINDOW_MS: z.coerce.number().int().min(1_000).default(30_000),

  /** Consumer group of the saga consumer; every instance of the service joins the same one. */
  SAGA_CONSUMER_GROUP: z.string().min(1).default('order-service-saga'),
  /** Partitions handled at once per instance; one partition's records are always serial. */
  SAGA_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** How long an order waits for the payment reply before it fails. */
  SAGA_PAYMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(15 * 60_000),
  /** How long a paid order waits for the reservation before its payment is refunded. */
  SAGA_INVENTORY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(5 * 60_000),
  /** How often the deadline sweeper looks for orders past their step deadline. */
  SAGA_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).default(5_000),
  SAGA_SWEEP_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Backoff while a dependency (database, broker) is down: the partition pauses, then retries. */
  CONSUMER_RETRY_MIN_MS: z.coerce.number().int().min(1).default(250),
  CONSUMER_RETRY_MAX_MS: z.coerce.number().int().min(1).default(30_000),
  /**
   * Bounds on what one consumed record may hold, checked before it is decoded: anything over
   * them is dead-lettered as record-too-large. The value's size, framing included (Kafka's own
   * default message limit); array items and map entries in all, whatever the writer's schema
   * (a few bytes can claim a billion items); bytes in one string or bytes value.
   */
  CONSUMER_MAX_RECORD_BYTES: z.coerce.number().int().min(64).default(1_048_576),
  CONSUMER_MAX_ITEMS: z.coerce.number().int().min(1).default(10_000),
  CONSUMER_MAX_STRING_BYTES: z.coerce.number().int().min(16).default(65_536),
  /** A handler error of no known kind is retried this many times, then dead-lettered. */
  CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  /** kafkajs group session timeout; lower means faster rebalances after a crash. */
  CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(3_000).default(30_000),
  CONSUMER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(3_000),
});

type ConfigShape = z.infer<typeof configObject>;
type Key = keyof ConfigShape;

/**
 * Rules that tie keys together. Each applies only where all its keys are read, so a command
 * reading some keys gets exactly the rules about those.
 */
interface CrossKeyRule {
  keys: readonly Key[];
  /** The key to name and the message, or undefined when the rule holds. */
  check(config: ConfigShape): { key: Key; message: string } | undefined;
}

const bothOrNeither = (first: Key, second: Key): CrossKeyRule => ({
  keys: [first, second],
  check: (config) =>
    (config[first] === undefined) !== (config[second] === undefined)
      ? {
          key: config[first] === undefined ? first : second,
          message: `is required together with ${config[first] === undefined ? second : first}`,
        }
      : undefined,
});

const CROSS_KEY_RULES: readonly CrossKeyRule[] = [
  {
    keys: ['AUTH_MODE', 'NODE_ENV'],
    check: (config) =>
      config.AUTH_MODE === 'none' && config.NODE_ENV === 'production'
        ? { key: 'AUTH_MODE', message: 'must be jwt when NODE_ENV=production' }
        : undefined,
  },
  {
    keys: ['AUTH_MODE', 'AUTH_JWT_SECRET', 'AUTH_JWKS_URL'],
    check: (config) => {
      if (config.AUTH_MODE !== 'jwt') return undefined;
      const given = [config.AUTH_JWT_SECRET, config.AUTH_JWKS_URL].filter(Boolean).length;
      if (given === 1) return undefined;
      return given === 0
        ? { key: 'AUTH_JWT_SECRET', message: 'or AUTH_JWKS_URL is required when AUTH_MODE=jwt' }
        : { key: 'AUTH_JWKS_URL', message: 'and AUTH_JWT_SECRET exclude each other; set one' };
    },
  },
  {
    keys: ['PORT', 'ADMIN_PORT'],
    check: (config) =>
      config.PORT !== 0 && config.PORT === config.ADMIN_PORT
        ? { key: 'ADMIN_PORT', message: 'must differ from PORT' }
        : undefined,
  },
  {
    keys: ['HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS'],
    check: (config) =>
      config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS
        ? { key: 'HTTP_HEADERS_TIMEOUT_MS', message: 'must not exceed HTTP_REQUEST_TIMEOUT_MS' }
        : undefined,
  },
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
  bothOrNeither('SCHEMA_REGISTRY_USERNAME', 'SCHEMA_REGISTRY_PASSWORD'),
  bothOrNeither('SCHEMA_REGISTRY_CERT_FILE', 'SCHEMA_REGISTRY_KEY_FILE'),
  {
    keys: ['SCHEMA_REGISTRY_URL', 'SCHEMA_REGISTRY_CA_FILE', 'SCHEMA_REGISTRY_CERT_FILE'],
    check: (config) =>
      !config.SCHEMA_REGISTRY_URL?.startsWith('https:') &&
      (config.SCHEMA_REGISTRY_CA_FILE || config.SCHEMA_REGISTRY_CERT_FILE)
        ? {
            key: 'SCHEMA_REGISTRY_URL',
            message: 'must be https when SCHEMA_REGISTRY_*_FILE is set',
          }
        : undefined,
  },
  {
    // Basic auth over plain http hands the password to anyone on the path.
    keys: ['SCHEMA_REGISTRY_URL', 'SCHEMA_REGISTRY_USERNAME', 'NODE_ENV'],
    check: (config) =>
      config.SCHEMA_REGISTRY_USERNAME &&
      !config.SCHEMA_REGISTRY_URL?.startsWith('https:') &&
      config.NODE_ENV === 'production'
        ? {
            key: 'SCHEMA_REGISTRY_URL',
            message: 'must be https with SCHEMA_REGISTRY_USERNAME when NODE_ENV=production',
          }
        : undefined,
  },
];

/** Keys whose values are secrets: never echoed, not even in a configuration error. */
const SECRET_KEYS: ReadonlySet<string> = new Set<Key>([
  'AUTH_JWT_SECRET',
  'KAFKA_SASL_PASSWORD',
  'SCHEMA_REGISTRY_PASSWORD',
]);

export type Config = ConfigShape;

/** Every key the service reads; README's Configuration and .env.example list exactly these. */
export const CONFIG_KEYS = Object.keys(configObject.shape) as readonly Key[];

/** Every secret value in a config, to scrub from anything the service writes. */
export function secretsOf(config: Partial<Config>): string[] {
  return [
    ...secretsInUrl(config.DATABASE_URL),
    config.AUTH_JWT_SECRET,
    config.KAFKA_SASL_PASSWORD,
    config.SCHEMA_REGISTRY_PASSWORD,
  ].filter((secret): secret is string => !!secret);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error message names every bad key on one line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnvironment(withRules(configObject, Object.keys(configObject.shape) as Key[]), env);
}

/**
 * Only some keys, with the same rules: for operator commands that run beside the service and
 * must not demand settings they never read.
 */
export function loadConfigKeys<Key extends keyof Config>(
  keys: readonly Key[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, Key> {
  const mask = Object.fromEntries(keys.map((key) => [key, true])) as { [K in keyof Config]?: true };
  // zod cannot carry the generic key set through pick(); the parsed object has exactly these keys.
  return parseEnvironment(withRules(configObject.pick(mask), keys), env) as unknown as Pick<
    Config,
    Key
  >;
}

/** The schema plus every cross-key rule whose keys are all among `keys`. */
function withRules<Schema extends z.ZodObject>(schema: Schema, keys: readonly Key[]) {
  const rules = CROSS_KEY_RULES.filter((rule) => rule.keys.every((key) => keys.includes(key)));
  return schema.superRefine((config, ctx) => {
    for (const rule of rules) {
      const problem = rule.check(config as unknown as ConfigShape);
      if (problem) ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
    }
  });
}

function parseEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: NodeJS.ProcessEnv,
): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    return `${key} ${issue.message} (${received(key, env[key])})`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** What was set, as far as it may be shown: never a secret, never a URL's password. */
function received(key: string, value: string | undefined): string {
  if (value === undefined) return 'missing';
  if (SECRET_KEYS.has(key)) return `a value of ${value.length} characters, not shown`;
  return `got ${JSON.stringify(redactUrls(value))}`;
}
