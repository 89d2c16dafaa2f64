import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { redactUrls, secretsInUrl } from './shared/redaction';

/**
 * The groups of keys, in the order README's Configuration and .env.example show them; `note`
 * says who reads them when that is more than the service.
 */
export const CONFIG_GROUPS = {
  http: { title: 'HTTP and the process' },
  auth: { title: 'Authentication and rate limit' },
  postgres: { title: 'Postgres' },
  kafka: {
    title: 'Kafka',
    note: "the service, `npm run dlq` and the tests' secured broker read the same connection keys",
  },
  registry: {
    title: 'Schema registry',
    note: 'the service, `npm run dlq` and `npm run schemas:register` read the same keys',
  },
  outbox: { title: 'Outbox relay' },
  breaker: { title: 'Circuit breaker around every Kafka send (opossum)' },
  saga: { title: 'Saga consumer, deadlines and retries' },
  operators: {
    title: 'Operator tools',
    note: '`npm run dlq` reads these, the service never does',
  },
  console: {
    title: 'Operator console',
    note: 'served on the admin port at `/console/` (docs/operations.md, "Console")',
  },
} as const satisfies Record<string, { title: string; note?: string }>;

export type ConfigGroup = keyof typeof CONFIG_GROUPS;

/**
 * What the schema says about a key beyond its type: README's Configuration tables and
 * .env.example are generated from it (`npm run docs:config`), and the secret flags decide what
 * is never shown.
 */
export interface ConfigKeyDoc {
  group: ConfigGroup;
  /** The one text about the key: what it does, its unit, what 0 or unset means. */
  description: string;
  /**
   * `value`: the whole value is a secret, never echoed and scrubbed from every log line.
   * `url-password`: the password inside the URL is.
   */
  secret?: 'value' | 'url-password';
  /** The value .env.example gives a required key: one for local development. */
  example?: string;
  /**
   * The key's former name, still read for one release: when only it is set, its value is used
   * and start-up warns (`configDeprecations`); set to another value beside the key, it stops
   * start-up.
   */
  formerName?: string;
}

const documentation = z.registry<ConfigKeyDoc>();

/** The schema of one key, with what README and .env.example say about it. */
function documented<Schema extends z.ZodType>(schema: Schema, doc: ConfigKeyDoc): Schema {
  documentation.add(schema as z.ZodType, doc);
  return schema;
}

/** The links whose TLS production requires, each of which ALLOW_INSECURE_TRANSPORT may exempt. */
export const INSECURE_LINKS = ['postgres', 'kafka', 'registry'] as const;
export type InsecureLink = (typeof INSECURE_LINKS)[number];

/** An actor's name as the audit stores it: short, printable, no control or bidi characters. */
function safeActor() {
  return z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((name) => !/[\p{Cc}\p{Cf}]/u.test(name), 'must be printable text');
}

const booleanFromString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** An unset key, or one set to the empty string (as `.env` files write it), is absent. */
const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * A path the process can read now, so a missing certificate stops start-up, not the first send.
 * A new schema per key, as each key carries its own documentation.
 */
const readableFile = () =>
  optional(
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

/** The names express `trust proxy` accepts for address ranges, beside addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const isProxyAddress = (entry: string) => {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
};

/** Express `trust proxy`: true, false, a hop count, or a list of proxy addresses and CIDRs. */
const trustProxy = z.string().transform((value, ctx): boolean | number | string[] => {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyAddress)) return entries;
  ctx.addIssue({
    code: 'custom',
    message: 'must be false, a hop count, or a comma-separated list of addresses and CIDRs',
  });
  return z.NEVER;
});

/** Loopback hosts, where plain http cannot be intercepted on the way. */
const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

/**
 * The whole environment the service reads, in one schema, grouped and described key by key.
 * `loadConfig` refuses to start on a bad or missing value.
 */
const configObject = z.object({
  PORT: documented(port.default(3000), {
    group: 'http',
    description: 'the public API, `/health` and `/ready`; `0` picks a free port (tests)',
  }),
  ADMIN_HOST: documented(
    optional(z.string().regex(/^[\w.:-]+$/, 'must be a host name or address')),
    {
      group: 'http',
      description:
        'the interface the admin port listens on; unset: `127.0.0.1` (loopback only), or `0.0.0.0` with `NODE_ENV=production`, as a container must be scraped from outside (publish the port to the monitoring network only)',
    },
  ),
  ADMIN_PORT: documented(port.default(9464), {
    group: 'http',
    description:
      '`/metrics` and the detailed readiness report; for the monitoring network only, never exposed to customers; must differ from `PORT`',
  }),
  METRICS_SAMPLE_INTERVAL_MS: documented(z.coerce.number().int().min(100).default(15_000), {
    group: 'http',
    description:
      'how often the outbox backlog, orders by status and consumer lag are measured for `/metrics` (one query each, however often it is scraped)',
  }),
  HTTP_HEADERS_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(10_000), {
    group: 'http',
    description: 'a client must send all request headers within this, else 408 (against slowloris)',
  }),
  HTTP_REQUEST_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(30_000), {
    group: 'http',
    description:
      'a client must send the whole request, body included, within this, else 408; not less than `HTTP_HEADERS_TIMEOUT_MS`',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'http',
    description:
      "idle keep-alive connections are closed after this; keep it above a load balancer's idle timeout",
  }),
  TRUST_PROXY: documented(trustProxy.default(false), {
    group: 'http',
    description:
      'which reverse proxies in front may set `X-Forwarded-For` (the client address the rate limit keys on without a token): `false`, a hop count (`1`: the nearest one), or a comma-separated list of addresses and CIDRs (`10.0.0.0/8,loopback`); `true` trusts every hop and is refused with `NODE_ENV=production`',
  }),
  SHUTDOWN_TIMEOUT_MS: documented(z.coerce.number().int().min(0).default(10_000), {
    group: 'http',
    description:
      'one deadline for the whole shutdown on SIGTERM/SIGINT; past it the process exits 1 naming what was still running',
  }),
  LOG_LEVEL: documented(
    z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).default('info'),
    {
      group: 'http',
      description: 'how much is logged; `http` adds one line per request',
    },
  ),
  NODE_ENV: documented(optional(z.enum(['development', 'test', 'production'])), {
    group: 'http',
    description:
      '`production` refuses SASL PLAIN without TLS, registry basic auth over http, any link without verified TLS (see `ALLOW_INSECURE_TRANSPORT`), `TRUST_PROXY=true` and a JWKS without `AUTH_ISSUER` and `AUTH_AUDIENCE`, and opens the admin port on every interface unless `ADMIN_HOST` says otherwise; `AUTH_MODE=none` needs `development` or `test`, set explicitly; unset otherwise counts as development',
  }),

  ALLOW_INSECURE_TRANSPORT: documented(
    z
      .string()
      .default('')
      .transform((text) =>
        text
          .split(',')
          .map((link) => link.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(INSECURE_LINKS, { error: 'lists only postgres, kafka, registry' }))),
    {
      group: 'http',
      description:
        'comma list of `postgres`, `kafka`, `registry`: links that may run without verified TLS when `NODE_ENV=production` (else `DATABASE_URL` needs `sslmode=verify-full` or `verify-ca`, `KAFKA_SSL=true`, an https registry); each one named logs a warning at start-up; for loopback set-ups only',
    },
  ),

  AUTH_MODE: documented(z.enum(['jwt', 'none']).default('jwt'), {
    group: 'auth',
    description:
      '`jwt`: every API call needs a bearer token; `none`: no checks (local development, tests), only with `NODE_ENV=development` or `test` set explicitly',
  }),
  AUTH_JWT_SECRET: documented(optional(z.string().min(32, 'must be at least 32 characters')), {
    group: 'auth',
    secret: 'value',
    description:
      'HS256 shared key, at least 32 characters; `AUTH_MODE=jwt` needs this or `AUTH_JWKS_URL`, not both',
  }),
  AUTH_JWKS_URL: documented(
    optional(
      z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .refine(
          (url) => url.startsWith('https:') || isLoopback(new URL(url)),
          'must be https (plain http only on localhost)',
        ),
    ),
    {
      group: 'auth',
      description:
        "the identity provider's JSON Web Key Set (RS256, ES256), e.g. `https://idp.example.com/.well-known/jwks.json`; https, or http on localhost; its keys are cached and refreshed",
    },
  ),
  AUTH_ISSUER: documented(optional(z.string().min(1)), {
    group: 'auth',
    description:
      "when set, every token's `iss` must equal it; required with `AUTH_JWKS_URL` and `NODE_ENV=production`",
  }),
  AUTH_AUDIENCE: documented(optional(z.string().min(1)), {
    group: 'auth',
    description:
      "when set, every token's `aud` must hold it; required with `AUTH_JWKS_URL` and `NODE_ENV=production`, so a token the provider minted for another application is refused",
  }),
  AUTH_TOKEN_TYPES: documented(z.enum(['access', 'access-or-jwt']).default('access-or-jwt'), {
    group: 'auth',
    description:
      'the JOSE `typ` header a token may carry: `access` only `at+jwt` (RFC 9068 access tokens); `access-or-jwt` also `JWT` or none, for providers that do not mark access tokens; ID tokens (a `nonce`, `at_hash`, `c_hash`, or `typ: ID` claim) and other types are always refused',
  }),
  AUTH_ROLES_CLAIM: documented(
    z
      .string()
      .regex(/^[\w:/-]+(\.[\w:/-]+)*$/, 'must be a claim name or a dotted path to one')
      .default('roles'),
    {
      group: 'auth',
      description:
        'the claim holding the list of roles (`operator` makes an operator); a dotted path reaches into objects, e.g. `realm_access.roles` for Keycloak',
    },
  ),
  AUTH_MAX_TOKEN_AGE_SECONDS: documented(z.coerce.number().int().min(0).default(3_600), {
    group: 'auth',
    description:
      'tokens issued longer ago than this (their `iat`) are refused, whatever their `exp`, and a token without `iat` too; `0` turns the bound off',
  }),
  AUTH_JWKS_CACHE_SECONDS: documented(z.coerce.number().int().min(1).default(600), {
    group: 'auth',
    description:
      'how long a fetched key set is used before it is fetched again in the background (a token naming an unknown key fetches it at once, at most every 30 s)',
  }),
  AUTH_JWKS_GRACE_SECONDS: documented(z.coerce.number().int().min(0).default(3_600), {
    group: 'auth',
    description:
      'while the key set cannot be fetched, the last one fetched stays in use this long after it was fetched; past it, API calls get 503',
  }),
  RATE_LIMIT_PER_MINUTE: documented(z.coerce.number().int().min(0).default(60), {
    group: 'auth',
    description:
      'orders one caller (token subject) may create per minute, counted across all instances in Postgres; only accepted orders count; `0` turns the limit off',
  }),
  RATE_LIMIT_READS_PER_MINUTE: documented(z.coerce.number().int().min(0).default(600), {
    group: 'auth',
    description:
      'order reads and lists one caller may make per minute, across all instances; `0` turns the limit off',
  }),
  RATE_LIMIT_CANCELS_PER_MINUTE: documented(z.coerce.number().int().min(0).default(60), {
    group: 'auth',
    description:
      'cancellations one caller may ask for per minute, answered or refused, across all instances; `0` turns the limit off',
  }),

  DATABASE_URL: documented(
    z
      .string({ error: 'is required' })
      .refine(
        (url) => /^postgres(ql)?:\/\//.test(url),
        'must be a postgres:// or postgresql:// URL',
      ),
    {
      group: 'postgres',
      secret: 'url-password',
      example: 'postgresql://order_service@127.0.0.1:5432/orders',
      description: "`postgresql://` (or `postgres://`) URL of the service's database",
    },
  ),
  DATABASE_POOL_SIZE: documented(z.coerce.number().int().min(1).max(200).default(10), {
    group: 'postgres',
    description: 'connections for the HTTP API',
  }),
  DATABASE_WORKER_POOL_SIZE: documented(z.coerce.number().int().min(2).max(200).default(6), {
    group: 'postgres',
    description:
      'connections for the saga consumer and the deadline sweeper: a pool of their own, so a flood of API requests cannot make the saga miss its deadlines (the outbox relay keeps 4 more, and its lock connection)',
  }),
  DATABASE_CONNECT_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'postgres',
    description: 'how long a request waits for a pooled connection before the API answers 503',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'postgres',
    description:
      'Postgres cancels any statement running longer (`statement_timeout`); the API answers 503',
  }),

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

  SCHEMA_REGISTRY_URL: documented(
    z
      .string({ error: 'is required' })
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
      .refine(
        (url) => !new URL(url).username && !new URL(url).password,
        'must not carry credentials; set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD',
      ),
    {
      group: 'registry',
      example: 'http://127.0.0.1:8081',
      description:
        '`http(s)://` base URL, without credentials in it (`SCHEMA_REGISTRY_USERNAME` and `SCHEMA_REGISTRY_PASSWORD` carry them)',
    },
  ),
  SCHEMA_REGISTRY_USERNAME: documented(optional(z.string().min(1)), {
    group: 'registry',
    description:
      'HTTP basic auth to the registry, with `SCHEMA_REGISTRY_PASSWORD`; https only in production',
  }),
  SCHEMA_REGISTRY_PASSWORD: documented(optional(z.string().min(1)), {
    group: 'registry',
    secret: 'value',
    description: 'HTTP basic auth password, with `SCHEMA_REGISTRY_USERNAME`',
  }),
  SCHEMA_REGISTRY_CA_FILE: documented(readableFile(), {
    group: 'registry',
    description: 'PEM CA bundle for an https registry signed by a private CA',
  }),
  SCHEMA_REGISTRY_CERT_FILE: documented(readableFile(), {
    group: 'registry',
    description:
      'PEM client certificate, for an https registry that requires one; with `SCHEMA_REGISTRY_KEY_FILE`',
  }),
  SCHEMA_REGISTRY_KEY_FILE: documented(readableFile(), {
    group: 'registry',
    description:
      "the client certificate's unencrypted PEM key (protect it as a secret file); with `SCHEMA_REGISTRY_CERT_FILE`",
  }),
  SCHEMA_REGISTRY_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(10_000), {
    group: 'registry',
    description:
      'how long one registry request may take before it fails (and is retried, never dead-lettered): a registry that accepts connections and never answers must not stall consumption',
  }),
  SCHEMA_COMPATIBILITY: documented(
    z
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
    {
      group: 'registry',
      description:
        'compatibility level the service sets on the subjects it produces, before registering, so the registry refuses any schema change that breaks it; with `FULL_TRANSITIVE` every registered version can read data written with every other, so consumers on any version keep working',
    },
  ),

  OUTBOX_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    group: 'outbox',
    description: 'most outbox rows the relay sends to Kafka in one batch',
  }),
  OUTBOX_POLL_INTERVAL_MS: documented(z.coerce.number().int().min(10).default(1_000), {
    group: 'outbox',
    description:
      'fallback poll when no wake-up arrives (a write that did not signal, a notification lost on reconnect); also how soon a relay rebalances its slots and takes over those of an instance that stopped',
  }),
  OUTBOX_NOTIFY_INTERVAL_MS: documented(z.coerce.number().int().min(1).max(1_000).default(5), {
    group: 'outbox',
    description:
      "after a commit that wrote outbox rows, this instance's relay wakes at once; the other instances' relays are told by a `pg_notify` sent at most once per this many milliseconds",
  }),
  OUTBOX_RETRY_MIN_MS: documented(z.coerce.number().int().min(1).default(200), {
    group: 'outbox',
    description:
      'backoff after a failed publish: exponential from this up to `OUTBOX_RETRY_MAX_MS`, with full jitter',
  }),
  OUTBOX_RETRY_MAX_MS: documented(z.coerce.number().int().min(1).default(30_000), {
    group: 'outbox',
    description: 'longest backoff after failed publishes (see `OUTBOX_RETRY_MIN_MS`)',
  }),
  OUTBOX_RETENTION_HOURS: documented(z.coerce.number().min(0).default(72), {
    group: 'outbox',
    description:
      'published rows older than this many hours are deleted; unpublished rows never are',
  }),
  OUTBOX_PRUNE_INTERVAL_MS: documented(z.coerce.number().int().min(1_000).default(600_000), {
    group: 'outbox',
    description: 'how often published rows past `OUTBOX_RETENTION_HOURS` are deleted',
  }),

  BREAKER_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'breaker',
    description: 'a send taking longer counts as failed',
  }),
  BREAKER_ERROR_THRESHOLD_PERCENT: documented(z.coerce.number().min(1).max(100).default(50), {
    group: 'breaker',
    description: 'failure rate, in percent of sends in the window, that opens the breaker',
  }),
  BREAKER_VOLUME_THRESHOLD: documented(z.coerce.number().int().min(1).default(3), {
    group: 'breaker',
    description:
      'sends in the window before the failure rate may open the breaker; this many failed sends in a row open it too',
  }),
  BREAKER_RESET_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(10_000), {
    group: 'breaker',
    description: 'the breaker stays open this long before a half-open probe',
  }),
  BREAKER_ROLLING_WINDOW_MS: documented(z.coerce.number().int().min(1_000).default(30_000), {
    group: 'breaker',
    description:
      'the window the failure rate is measured over; long enough to hold `BREAKER_VOLUME_THRESHOLD` timed-out sends and the backoffs between them (README: Breaker settings), else the breaker could never open',
  }),

  SAGA_CONSUMER_GROUP: documented(z.string().min(1).default('order-service-saga'), {
    group: 'saga',
    description:
      'consumer group of the saga consumer; every instance of the service joins the same one',
  }),
  SAGA_PARTITIONS_CONCURRENCY: documented(z.coerce.number().int().min(1).max(64).default(4), {
    group: 'saga',
    description:
      "partitions handled at once per instance; one partition's records are always applied in order",
  }),
  SAGA_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    group: 'saga',
    description:
      'most replies of one partition applied in one transaction; a fetched batch is applied in as few transactions as this allows',
  }),
  SAGA_PAYMENT_TIMEOUT_MS: documented(
    z.coerce
      .number()
      .int()
      .min(1)
      .default(15 * 60_000),
    {
      group: 'saga',
      description: 'how long an order waits for the payment reply before it fails',
    },
  ),
  SAGA_INVENTORY_TIMEOUT_MS: documented(
    z.coerce
      .number()
      .int()
      .min(1)
      .default(5 * 60_000),
    {
      group: 'saga',
      description: 'how long a paid order waits for the reservation before its payment is refunded',
    },
  ),
  SAGA_SWEEP_INTERVAL_MS: documented(z.coerce.number().int().min(10).default(5_000), {
    group: 'saga',
    description: 'how often the deadline sweeper looks for orders past their step deadline',
  }),
  SAGA_SWEEP_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(200), {
    group: 'saga',
    description: 'most orders the deadline sweeper handles in one run',
  }),
  CONSUMER_RETRY_MIN_MS: documented(z.coerce.number().int().min(1).default(250), {
    group: 'saga',
    description:
      'while a dependency (database, broker) is down, the partition pauses, then retries: the first pause, growing up to `CONSUMER_RETRY_MAX_MS`',
  }),
  CONSUMER_RETRY_MAX_MS: documented(z.coerce.number().int().min(1).default(30_000), {
    group: 'saga',
    description: 'longest pause of a partition while a dependency is down',
  }),
  CONSUMER_MAX_UNKNOWN_ATTEMPTS: documented(z.coerce.number().int().min(1).default(5), {
    group: 'saga',
    formerName: 'CONSUMER_MAX_ATTEMPTS',
    description:
      'a record whose handler fails with an error of no known kind is tried this many times in all, then dead-lettered',
  }),
  CONSUMER_MAX_RECORD_BYTES: documented(z.coerce.number().int().min(64).default(1_048_576), {
    group: 'saga',
    description:
      "largest record value, framing included (Kafka's own default message limit); a bigger one is dead-lettered as record-too-large before it is decoded",
  }),
  CONSUMER_MAX_ITEMS: documented(z.coerce.number().int().min(1).default(10_000), {
    group: 'saga',
    description:
      "array items and map entries in one record, all together, whatever the writer's schema (a few bytes can claim a billion items); a record with more is dead-lettered as record-too-large",
  }),
  CONSUMER_MAX_STRING_BYTES: documented(z.coerce.number().int().min(16).default(65_536), {
    group: 'saga',
    description:
      'bytes in one string or bytes value of a record; a record with a longer one is dead-lettered as record-too-large',
  }),
  DLQ_ACTOR: documented(optional(safeActor()), {
    group: 'operators',
    description:
      "who runs `npm run dlq` (a person's login or a ticket's owner), written with each replay and skip to the `operator_audit` table; replay and skip are refused without it",
  }),
  CONSUMER_MAX_NODES: documented(z.coerce.number().int().min(1_000).default(200_000), {
    group: 'saga',
    description:
      'values in one record, records and nulls included, counted as it is read (ten record fields nested ten deep are 10^10 values in a few bytes); a record with more is dead-lettered as record-too-large',
  }),
  CONSUMER_MAX_SCHEMA_EXPANSION: documented(z.coerce.number().min(1).default(1_000), {
    group: 'saga',
    description:
      "values one byte of a record may stand for under its writer's schema, worked out once per schema id (records of records of nulls are many values in no bytes); records of a schema over it are dead-lettered as incompatible-schema before any is read",
  }),
  CONSUMER_SESSION_TIMEOUT_MS: documented(z.coerce.number().int().min(3_000).default(30_000), {
    group: 'saga',
    description: 'kafkajs group session timeout; lower means faster rebalances after a crash',
  }),
  CONSUMER_HEARTBEAT_INTERVAL_MS: documented(z.coerce.number().int().min(100).default(3_000), {
    group: 'saga',
    description: 'kafkajs heartbeat interval',
  }),
  CONSOLE_DATABASE_POOL_SIZE: documented(z.coerce.number().int().min(1).max(50).default(3), {
    group: 'console',
    description:
      "connections for the operator console: a pool of its own, so heavy console use never takes the API's or the saga's connections",
  }),
  CONSOLE_STUCK_AFTER_SECONDS: documented(z.coerce.number().int().min(1).default(3_600), {
    group: 'console',
    description:
      'the console counts a saga as stuck when it is not terminal past its step deadline, or older than this many seconds',
  }),
  CONSOLE_BULK_ACTION_LIMIT: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    group: 'console',
    description:
      "most dead letters one bulk replay or skip may act on; a group larger than this is refused, so a mistake's reach is bounded",
  }),
  CONSOLE_TRACE_URL_TEMPLATE: documented(
    optional(
      z
        .string()
        .refine((value) => value.includes('{traceId}'), 'must contain {traceId}')
        .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL'),
    ),
    {
      group: 'console',
      description:
        "link from an order's journey to its trace, e.g. `https://jaeger.example/trace/{traceId}`; unset: no link",
    },
  ),
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

/**
 * In production every link is encrypted and its server verified, or named in
 * ALLOW_INSECURE_TRANSPORT: a man in the middle of the registry link could swap writer schemas,
 * of the database or broker link read and change orders.
 */
const secureInProduction = (
  link: InsecureLink,
  key: Key,
  secure: (config: ConfigShape) => boolean,
  message: string,
): CrossKeyRule => ({
  keys: [key, 'NODE_ENV', 'ALLOW_INSECURE_TRANSPORT'],
  check: (config) =>
    config.NODE_ENV === 'production' &&
    !config.ALLOW_INSECURE_TRANSPORT.includes(link) &&
    !secure(config)
      ? {
          key,
          message: `${message} when NODE_ENV=production (or ALLOW_INSECURE_TRANSPORT=${link})`,
        }
      : undefined,
});

/** libpq's modes that check the server's certificate; `require` encrypts but trusts anyone. */
const VERIFYING_SSL_MODES = ['verify-full', 'verify-ca'];

export function databaseTlsVerified(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return VERIFYING_SSL_MODES.includes(new URL(url).searchParams.get('sslmode') ?? '');
  } catch {
    return false;
  }
}

const CROSS_KEY_RULES: readonly CrossKeyRule[] = [
  secureInProduction(
    'postgres',
    'DATABASE_URL',
    (config) => databaseTlsVerified(config.DATABASE_URL),
    'needs sslmode=verify-full or sslmode=verify-ca',
  ),
  secureInProduction('kafka', 'KAFKA_SSL', (config) => config.KAFKA_SSL, 'must be true'),
  secureInProduction(
    'registry',
    'SCHEMA_REGISTRY_URL',
    (config) => config.SCHEMA_REGISTRY_URL?.startsWith('https:') ?? false,
    'must be https',
  ),
  {
    // Forgetting NODE_ENV must not switch authentication off in a deployment.
    keys: ['AUTH_MODE', 'NODE_ENV'],
    check: (config) =>
      config.AUTH_MODE === 'none' && config.NODE_ENV !== 'development' && config.NODE_ENV !== 'test'
        ? {
            key: 'AUTH_MODE',
            message:
              config.NODE_ENV === 'production'
                ? 'must be jwt when NODE_ENV=production'
                : 'none needs NODE_ENV=development or NODE_ENV=test set explicitly',
          }
        : undefined,
  },
  {
    // A provider serves many applications: without both, its tokens for any of them are ours.
    keys: ['AUTH_MODE', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'NODE_ENV'],
    check: (config) => {
      if (config.AUTH_MODE !== 'jwt' || !config.AUTH_JWKS_URL || config.NODE_ENV !== 'production')
        return undefined;
      const missing = (['AUTH_ISSUER', 'AUTH_AUDIENCE'] as const).find((key) => !config[key]);
      return missing
        ? { key: missing, message: 'is required with AUTH_JWKS_URL when NODE_ENV=production' }
        : undefined;
    },
  },
  {
    keys: ['TRUST_PROXY', 'NODE_ENV'],
    check: (config) =>
      config.TRUST_PROXY === true && config.NODE_ENV === 'production'
        ? {
            key: 'TRUST_PROXY',
            message:
              "must not be true when NODE_ENV=production (it trusts every hop, so any client can set its address); give a hop count or the proxies' addresses",
          }
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
  {
    // Opossum opens only once BREAKER_VOLUME_THRESHOLD sends fall inside one rolling window. The
    // relay has one send in flight; against a hung broker each takes BREAKER_TIMEOUT_MS, and the
    // relay backs off between them. A window that cannot hold all of that never opens.
    keys: [
      'BREAKER_ROLLING_WINDOW_MS',
      'BREAKER_VOLUME_THRESHOLD',
      'BREAKER_TIMEOUT_MS',
      'OUTBOX_RETRY_MIN_MS',
      'OUTBOX_RETRY_MAX_MS',
    ],
    check: (config) => {
      const needed = breakerWindowNeededMs(config);
      return config.BREAKER_ROLLING_WINDOW_MS < needed
        ? {
            key: 'BREAKER_ROLLING_WINDOW_MS',
            message:
              `must be at least ${needed}: BREAKER_VOLUME_THRESHOLD × BREAKER_TIMEOUT_MS plus the ` +
              "relay's backoffs between those sends, plus one of the window's ten buckets; " +
              'else sends that time out one at a time never fill the window and the breaker never opens',
          }
        : undefined;
    },
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

export type Config = ConfigShape;

/** Every key the service reads; README's Configuration and .env.example list exactly these. */
export const CONFIG_KEYS = Object.keys(configObject.shape) as readonly Key[];

/** A key's documentation as the schema holds it, plus what the schema itself says. */
export interface ConfigKeyDocumentation extends ConfigKeyDoc {
  key: Key;
  /** No default: the service refuses to start without it. */
  required: boolean;
  /** The value in effect when the key is unset, as the environment spells it. */
  default?: string;
  /** The values the key accepts, when it takes one of a fixed set of words. */
  values?: readonly string[];
}

/** Every key in schema order, documented: the source of README's tables and .env.example. */
export function configDocumentation(): ConfigKeyDocumentation[] {
  return CONFIG_KEYS.map((key) => {
    const schema: z.ZodType = configObject.shape[key];
    const doc = documentation.get(schema);
    if (!doc) throw new Error(`${key} has no documentation in src/config.ts`);
    const unset = schema.safeParse(undefined);
    const { enum: words } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    // Words that parse to themselves; booleans are spelled as words too, but parse to true/false.
    const values = words?.every((word) => schema.safeParse(word).data === word)
      ? words.map(String)
      : undefined;
    return {
      key,
      ...doc,
      required: !unset.success,
      ...(unset.success && unset.data !== undefined && { default: String(unset.data) }),
      ...(values && { values }),
    };
  });
}

const keysWithSecret = (secret: ConfigKeyDoc['secret']) =>
  CONFIG_KEYS.filter((key) => documentation.get(configObject.shape[key])?.secret === secret);

/** Keys whose values are secrets: never echoed, not even in a configuration error. */
const SECRET_KEYS: readonly string[] = keysWithSecret('value');
/** Keys holding a URL whose password is a secret. */
const URL_PASSWORD_KEYS = keysWithSecret('url-password');

/** Every secret value in a config, to scrub from anything the service writes. */
export function secretsOf(config: Partial<Config>): string[] {
  const value = (key: string) => config[key as Key] as string | undefined;
  return [
    ...URL_PASSWORD_KEYS.flatMap((key) => secretsInUrl(value(key))),
    ...SECRET_KEYS.map(value),
  ].filter((secret): secret is string => !!secret);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error message names every bad key on one line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnvironment(withRules(configObject, CONFIG_KEYS), CONFIG_KEYS, env);
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
  return parseEnvironment(withRules(configObject.pick(mask), keys), keys, env) as unknown as Pick<
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
  keys: readonly Key[],
  env: NodeJS.ProcessEnv,
): z.output<Schema> {
  const renamed = readFormerNames(env, keys);
  const result = schema.safeParse(renamed.env);
  if (result.success && renamed.problems.length === 0) return result.data;
  const problems = (result.error?.issues ?? []).map((issue) => {
    const key = issue.path.join('.');
    const formerName = renamed.readFrom.get(key);
    const named = formerName ? `${key} (set as ${formerName})` : key;
    return `${named} ${issue.message} (${received(key, renamed.env[key])})`;
  });
  throw new ConfigError(`Invalid configuration: ${[...renamed.problems, ...problems].join('; ')}`);
}

/** Keys renamed within the last release, with the former name each still answers to. */
const RENAMED_KEYS = CONFIG_KEYS.flatMap((key) => {
  const formerName = documentation.get(configObject.shape[key])?.formerName;
  return formerName ? [{ key, formerName }] : [];
});

/** Set, as `optional` counts it: an empty value, as `.env` files write it, is not. */
const isSet = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * The environment with each former name's value under the key's name when only the former is
 * set, which keys were read that way, and the keys whose two names disagree.
 */
function readFormerNames(env: NodeJS.ProcessEnv, keys: readonly Key[]) {
  const resolved = { ...env };
  const readFrom = new Map<string, string>();
  const problems: string[] = [];
  for (const { key, formerName } of RENAMED_KEYS) {
    const [current, former] = [env[key], env[formerName]];
    if (!keys.includes(key) || !isSet(former)) continue;
    if (!isSet(current)) {
      resolved[key] = former;
      readFrom.set(key, formerName);
    } else if (current !== former) {
      problems.push(
        `${key} and ${formerName}, its former name, disagree; set only ${key} ` +
          `(${received(key, current)}; ${formerName} ${received(key, former)})`,
      );
    }
  }
  return { env: resolved, readFrom, problems };
}

/**
 * Warnings for keys set under a former name, for start-up to log: loading stays pure. The
 * former name still works in this release and is no longer read in the next.
 */
export function configDeprecations(
  env: NodeJS.ProcessEnv = process.env,
): { message: string; key: string; formerName: string }[] {
  return RENAMED_KEYS.filter(({ formerName }) => isSet(env[formerName])).map(
    ({ key, formerName }) => ({
      message: `${formerName} is deprecated: set ${key} instead, as the next release reads only that name`,
      key,
      formerName,
    }),
  );
}

/**
 * One warning per link that production runs without verified TLS because
 * ALLOW_INSECURE_TRANSPORT names it, for start-up to log loudly; nothing outside production.
 */
export function insecureTransportWarnings(
  config: Pick<Config, 'NODE_ENV' | 'ALLOW_INSECURE_TRANSPORT'>,
): { message: string; link: InsecureLink }[] {
  if (config.NODE_ENV !== 'production') return [];
  return [...new Set(config.ALLOW_INSECURE_TRANSPORT)].map((link) => ({
    message: `INSECURE TRANSPORT: the ${link} link runs without verified TLS in production (ALLOW_INSECURE_TRANSPORT=${link}); anyone on the path can read and change what it carries`,
    link,
  }));
}

/** What was set, as far as it may be shown: never a secret, never a URL's password. */
function received(key: string, value: string | undefined): string {
  if (value === undefined) return 'missing';
  if (SECRET_KEYS.includes(key)) return `a value of ${value.length} characters, not shown`;
  return `got ${JSON.stringify(redactUrls(value))}`;
}

/**
 * The shortest rolling window in which BREAKER_VOLUME_THRESHOLD sends to a hung broker, one at
 * a time with the relay's longest backoffs between them, all still count: opossum drops whole
 * buckets (a tenth of the window) as it rolls, hence the 10/9.
 */
export function breakerWindowNeededMs(
  config: Pick<
    Config,
    | 'BREAKER_VOLUME_THRESHOLD'
    | 'BREAKER_TIMEOUT_MS'
    | 'OUTBOX_RETRY_MIN_MS'
    | 'OUTBOX_RETRY_MAX_MS'
  >,
): number {
  let backoffsMs = 0;
  for (let failure = 0; failure < config.BREAKER_VOLUME_THRESHOLD - 1; failure += 1) {
    backoffsMs += Math.min(config.OUTBOX_RETRY_MAX_MS, config.OUTBOX_RETRY_MIN_MS * 2 ** failure);
  }
  const busyMs = config.BREAKER_VOLUME_THRESHOLD * config.BREAKER_TIMEOUT_MS + backoffsMs;
  return Math.ceil((busyMs * 10) / 9);
}
