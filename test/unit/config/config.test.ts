import {
  CONFIG_KEYS,
  breakerWindowNeededMs,
  ConfigError,
  insecureTransportWarnings,
  loadConfig,
  loadConfigKeys,
  secretsOf,
  type Config,
} from '../../../src/config';

describe('loadConfig', () => {
  const required = {
    DATABASE_URL: 'postgresql://localhost/orders',
    KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
    AUTH_JWT_SECRET: 'a-shared-secret-of-at-least-32-chars',
  };
  /**
   * What the service runs with when only the required keys are set: every key, so changing a
   * default means changing this table too. Optional keys without a default are undefined.
   */
  const DEFAULTS: { [Key in (typeof CONFIG_KEYS)[number]]: Config[Key] } = {
    NODE_ENV: undefined,
    ALLOW_INSECURE_TRANSPORT: [],
    PORT: 3000,
    ADMIN_HOST: undefined,
    ADMIN_PORT: 9464,
    METRICS_SAMPLE_INTERVAL_MS: 15_000,
    HTTP_HEADERS_TIMEOUT_MS: 10_000,
    HTTP_REQUEST_TIMEOUT_MS: 30_000,
    HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
    HTTP_MAX_CONCURRENT_REQUESTS: 64,
    TRUST_PROXY: false,
    SHUTDOWN_TIMEOUT_MS: 10_000,
    LOG_LEVEL: 'info',

    AUTH_MODE: 'jwt',
    AUTH_JWT_SECRET: required.AUTH_JWT_SECRET,
    AUTH_JWKS_URL: undefined,
    AUTH_ISSUER: undefined,
    AUTH_AUDIENCE: undefined,
    AUTH_TOKEN_TYPES: 'access-or-jwt',
    AUTH_ROLES_CLAIM: 'roles',
    AUTH_MAX_TOKEN_AGE_SECONDS: 3_600,
    AUTH_JWKS_CACHE_SECONDS: 600,
    AUTH_JWKS_GRACE_SECONDS: 3_600,
    RATE_LIMIT_PER_MINUTE: 60,
    RATE_LIMIT_READS_PER_MINUTE: 600,
    RATE_LIMIT_CANCELS_PER_MINUTE: 60,

    DATABASE_URL: required.DATABASE_URL,
    DATABASE_POOL_SIZE: 10,
    DATABASE_WORKER_POOL_SIZE: 6,
    DATABASE_CONNECT_TIMEOUT_MS: 5_000,
    DATABASE_STATEMENT_TIMEOUT_MS: 5_000,

    KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2:9092'],
    KAFKA_CLIENT_ID: 'order-service',
    KAFKA_TOPIC_PREFIX: '',
    KAFKA_REQUEST_TIMEOUT_MS: 5_000,
    KAFKA_IDEMPOTENT_PRODUCER: true,
    KAFKA_CREATE_TOPICS: false,
    KAFKA_TOPIC_PARTITIONS: 6,
    KAFKA_REPLICATION_FACTOR: 3,
    KAFKA_SSL: false,
    KAFKA_SSL_CA_FILE: undefined,
    KAFKA_SSL_CERT_FILE: undefined,
    KAFKA_SSL_KEY_FILE: undefined,
    KAFKA_SASL_MECHANISM: undefined,
    KAFKA_SASL_USERNAME: undefined,
    KAFKA_SASL_PASSWORD: undefined,

    SCHEMA_REGISTRY_URL: required.SCHEMA_REGISTRY_URL,
    SCHEMA_REGISTRY_USERNAME: undefined,
    SCHEMA_REGISTRY_PASSWORD: undefined,
    SCHEMA_REGISTRY_CA_FILE: undefined,
    SCHEMA_REGISTRY_CERT_FILE: undefined,
    SCHEMA_REGISTRY_KEY_FILE: undefined,
    SCHEMA_REGISTRY_TIMEOUT_MS: 10_000,
    SCHEMA_COMPATIBILITY: 'FULL_TRANSITIVE',

    OUTBOX_BATCH_SIZE: 2_000,
    OUTBOX_BATCH_MAX_BYTES: 786_432,
    OUTBOX_POLL_INTERVAL_MS: 1_000,
    OUTBOX_NOTIFY_INTERVAL_MS: 5,
    OUTBOX_RETRY_MIN_MS: 200,
    OUTBOX_RETRY_MAX_MS: 30_000,
    OUTBOX_RETENTION_HOURS: 72,
    OUTBOX_PRUNE_INTERVAL_MS: 600_000,

    BREAKER_TIMEOUT_MS: 5_000,
    BREAKER_ERROR_THRESHOLD_PERCENT: 50,
    BREAKER_VOLUME_THRESHOLD: 3,
    BREAKER_RESET_TIMEOUT_MS: 10_000,
    BREAKER_ROLLING_WINDOW_MS: 30_000,

    SAGA_CONSUMER_GROUP: 'order-service-saga',
    SAGA_PARTITIONS_CONCURRENCY: 4,
    SAGA_BATCH_SIZE: 500,
    SAGA_PAYMENT_TIMEOUT_MS: 15 * 60_000,
    SAGA_INVENTORY_TIMEOUT_MS: 5 * 60_000,
    SAGA_SWEEP_INTERVAL_MS: 5_000,
    SAGA_SWEEP_BATCH_SIZE: 200,
    CONSUMER_RETRY_MIN_MS: 250,
    CONSUMER_RETRY_MAX_MS: 30_000,
    CONSUMER_MAX_UNKNOWN_ATTEMPTS: 5,
    CONSUMER_MAX_RECORD_BYTES: 1_048_576,
    CONSUMER_MAX_ITEMS: 10_000,
    CONSUMER_MAX_STRING_BYTES: 65_536,
    CONSUMER_MAX_NODES: 200_000,
    CONSUMER_MAX_SCHEMA_EXPANSION: 1_000,
    CONSUMER_SESSION_TIMEOUT_MS: 30_000,
    CONSUMER_HEARTBEAT_INTERVAL_MS: 3_000,
    DLQ_ACTOR: undefined,
    CONSOLE_DATABASE_POOL_SIZE: 3,
    CONSOLE_STUCK_AFTER_SECONDS: 3_600,
    CONSOLE_BULK_ACTION_LIMIT: 500,
    CONSOLE_MAX_CONCURRENT_REQUESTS: 2,
    CONSOLE_SUMMARY_MAX_AGE_SECONDS: 5,
    CONSOLE_TRACE_URL_TEMPLATE: undefined,
  };

  const message = (env: Record<string, string | undefined>) => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  test('when only the required keys are set, then every other key has its documented default', () => {
    const config = loadConfig(required);
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config).toEqual(DEFAULTS);
    // Every key is in the table, so adding a key means deciding what this test expects of it.
    expect(Object.keys(DEFAULTS).sort()).toEqual([...CONFIG_KEYS].sort());
  });

  test('when DATABASE_URL is missing, then one line names the key', () => {
    const env = { ...required, DATABASE_URL: undefined };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(
      /^Invalid configuration: DATABASE_URL is required \(missing\)$/,
    );
  });

  test('when the registry URL is not http(s) or the broker list is not host:port, then both are named', () => {
    const attempt = () =>
      loadConfig({ ...required, SCHEMA_REGISTRY_URL: 'ftp://x', KAFKA_BROKERS: 'kafka' });
    expect(attempt).toThrow(/SCHEMA_REGISTRY_URL must be an http\(s\) URL \(got "ftp:\/\/x"\)/);
    expect(attempt).toThrow(/KAFKA_BROKERS must be host:port/);
  });

  test('when several values are bad, then every bad key is named with what was received', () => {
    const attempt = () =>
      loadConfig({ ...required, DATABASE_URL: 'mysql://x', PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(/DATABASE_URL must be a postgres/);
    expect(attempt).toThrow(/PORT .*\(got "eighty"\)/);
    expect(attempt).toThrow(/LOG_LEVEL .*\(got "loud"\)/);
  });

  describe('authentication', () => {
    test('when AUTH_MODE=none and NODE_ENV=production, then start-up is refused naming AUTH_MODE', () => {
      const loopback = { ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry' };
      expect(message({ ...required, ...loopback, AUTH_MODE: 'none', NODE_ENV: 'production' })).toBe(
        'Invalid configuration: AUTH_MODE must be jwt when NODE_ENV=production (got "none")',
      );
      expect(loadConfig({ ...required, AUTH_MODE: 'none', NODE_ENV: 'test' }).AUTH_MODE).toBe(
        'none',
      );
      expect(
        loadConfig({ ...required, AUTH_MODE: 'none', NODE_ENV: 'development' }).AUTH_MODE,
      ).toBe('none');
    });

    test('when AUTH_MODE=none and NODE_ENV is unset or empty, then start-up is refused: forgetting NODE_ENV must not switch authentication off', () => {
      for (const NODE_ENV of [undefined, '']) {
        expect(message({ ...required, AUTH_MODE: 'none', NODE_ENV })).toBe(
          'Invalid configuration: AUTH_MODE none needs NODE_ENV=development or NODE_ENV=test set explicitly (got "none")',
        );
      }
    });

    test('when a JWKS is used with NODE_ENV=production, then AUTH_ISSUER and AUTH_AUDIENCE are required, each named', () => {
      const jwks = {
        ...required,
        AUTH_JWT_SECRET: undefined,
        AUTH_JWKS_URL: 'https://idp.example/jwks',
        NODE_ENV: 'production',
        ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry',
      };
      expect(message(jwks)).toMatch(
        /^Invalid configuration: AUTH_ISSUER is required with AUTH_JWKS_URL when NODE_ENV=production \(missing\)$/,
      );
      expect(message({ ...jwks, AUTH_ISSUER: 'https://idp.example/' })).toMatch(
        /^Invalid configuration: AUTH_AUDIENCE is required with AUTH_JWKS_URL when NODE_ENV=production \(missing\)$/,
      );
      expect(
        loadConfig({ ...jwks, AUTH_ISSUER: 'https://idp.example/', AUTH_AUDIENCE: 'orders' })
          .AUTH_AUDIENCE,
      ).toBe('orders');
      // Outside production, and with this service's own HS256 secret, they stay optional.
      expect(loadConfig({ ...jwks, NODE_ENV: 'development' }).AUTH_ISSUER).toBeUndefined();
      expect(
        loadConfig({ ...jwks, AUTH_JWKS_URL: undefined, AUTH_JWT_SECRET: required.AUTH_JWT_SECRET })
          .AUTH_ISSUER,
      ).toBeUndefined();
    });

    test('when the roles claim is a dotted path, then it is accepted; a malformed one is refused', () => {
      expect(
        loadConfig({ ...required, AUTH_ROLES_CLAIM: 'realm_access.roles' }).AUTH_ROLES_CLAIM,
      ).toBe('realm_access.roles');
      expect(message({ ...required, AUTH_ROLES_CLAIM: 'realm_access..roles' })).toMatch(
        /AUTH_ROLES_CLAIM must be a claim name or a dotted path/,
      );
    });
  });

  describe('deployment defaults (issue 19 item 14)', () => {
    // Transport rules (item 8) are tested on their own; here the links are opted out of them.
    const production = {
      ...required,
      NODE_ENV: 'production',
      ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry',
    };

    test('when TRUST_PROXY=true and NODE_ENV=production, then start-up is refused; elsewhere it is kept', () => {
      expect(message({ ...production, TRUST_PROXY: 'true' })).toMatch(
        /^Invalid configuration: TRUST_PROXY must not be true when NODE_ENV=production/,
      );
      expect(loadConfig({ ...required, TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    });

    test.each([
      ['false', false],
      ['1', 1],
      ['2', 2],
      ['10.0.0.0/8', ['10.0.0.0/8']],
      ['loopback, 10.1.2.3, fd00::/8', ['loopback', '10.1.2.3', 'fd00::/8']],
    ])('when TRUST_PROXY=%s, then express gets %j', (value, expected) => {
      expect(loadConfig({ ...production, TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
    });

    test.each(['yes', '10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1', '-1'])(
      'when TRUST_PROXY=%s, then start-up is refused naming TRUST_PROXY',
      (value) => {
        expect(message({ ...required, TRUST_PROXY: value })).toMatch(
          /TRUST_PROXY must be false, a hop count, or a comma-separated list/,
        );
      },
    );
  });

  describe('authentication, continued', () => {
    test('when AUTH_MODE=jwt has neither a secret nor a JWKS URL, or both, then it is refused', () => {
      expect(message({ ...required, AUTH_JWT_SECRET: undefined })).toMatch(
        /AUTH_JWT_SECRET or AUTH_JWKS_URL is required when AUTH_MODE=jwt/,
      );
      expect(message({ ...required, AUTH_JWKS_URL: 'https://idp.example/jwks' })).toMatch(
        /AUTH_JWKS_URL and AUTH_JWT_SECRET exclude each other/,
      );
    });

    test('when the JWKS URL is plain http off localhost, then it is refused', () => {
      const jwks = { ...required, AUTH_JWT_SECRET: undefined };
      expect(message({ ...jwks, AUTH_JWKS_URL: 'http://idp.example/jwks' })).toMatch(
        /AUTH_JWKS_URL must be https/,
      );
      expect(loadConfig({ ...jwks, AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks' })).toBeTruthy();
    });

    test('when the HS256 secret is too short, then the key is named and the value never shown', () => {
      const line = message({ ...required, AUTH_JWT_SECRET: 'hunter2-is-short' });
      expect(line).toMatch(/AUTH_JWT_SECRET must be at least 32 characters/);
      expect(line).not.toContain('hunter2');
    });
  });

  describe('secrets in configuration errors', () => {
    test('when a malformed DATABASE_URL carries a password, then the error names the key but not the password', () => {
      const line = message({
        ...required,
        DATABASE_URL: 'mysql://orders:Pa55:w/ord@db:5432/orders',
      });
      expect(line).toMatch(/DATABASE_URL must be a postgres/);
      expect(line).not.toMatch(/Pa55/);
    });

    test('when a password is a query parameter, then it is hidden too', () => {
      const line = message({
        ...required,
        DATABASE_URL: 'mysql://db/orders?user=o&password=Qu3ryS3cret',
      });
      expect(line).not.toContain('Qu3ryS3cret');
    });

    test('when the registry URL carries credentials, then it is refused without echoing them', () => {
      const line = message({ ...required, SCHEMA_REGISTRY_URL: 'https://svc:R3gS3cret@registry' });
      expect(line).toMatch(/SCHEMA_REGISTRY_URL must not carry credentials/);
      expect(line).not.toContain('R3gS3cret');
    });

    test('when a config holds secrets, then secretsOf lists each of them, the URL password decoded too', () => {
      const config = loadConfig({
        ...required,
        DATABASE_URL: 'postgresql://orders:p%40ss-word@db/orders',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'orders',
        KAFKA_SASL_PASSWORD: 'sasl-password',
        SCHEMA_REGISTRY_USERNAME: 'orders',
        SCHEMA_REGISTRY_PASSWORD: 'registry-password',
      });
      expect(secretsOf(config)).toEqual(
        expect.arrayContaining([
          'p%40ss-word',
          'p@ss-word',
          required.AUTH_JWT_SECRET,
          'sasl-password',
          'registry-password',
        ]),
      );
    });
  });

  describe('Kafka and registry connections', () => {
    test('when SASL is asked for without credentials, or credentials come without a mechanism, then it is refused', () => {
      expect(message({ ...required, KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toMatch(
        /KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM/,
      );
      expect(message({ ...required, KAFKA_SASL_USERNAME: 'orders' })).toMatch(
        /KAFKA_SASL_MECHANISM is required/,
      );
      expect(message({ ...required, KAFKA_SASL_MECHANISM: 'gssapi' })).toMatch(
        /KAFKA_SASL_MECHANISM/,
      );
    });

    test('when SASL PLAIN would send the password unencrypted in production, then it is refused', () => {
      const plain = {
        ...required,
        NODE_ENV: 'production',
        ALLOW_INSECURE_TRANSPORT: 'postgres,registry',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'orders',
        KAFKA_SASL_PASSWORD: 'sasl-password',
      };
      expect(message(plain)).toMatch(/KAFKA_SASL_MECHANISM plain needs KAFKA_SSL=true/);
      expect(loadConfig({ ...plain, KAFKA_SSL: 'true' }).KAFKA_SASL_MECHANISM).toBe('plain');
    });

    test('when a certificate file cannot be read or TLS is off, then the key is named', () => {
      expect(
        message({ ...required, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/no/such.pem' }),
      ).toMatch(/KAFKA_SSL_CA_FILE must name a readable file \(got "\/no\/such.pem"\)/);
      expect(message({ ...required, KAFKA_SSL_CA_FILE: __filename })).toMatch(
        /KAFKA_SSL must be true when KAFKA_SSL_\*_FILE is set/,
      );
      expect(message({ ...required, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: __filename })).toMatch(
        /KAFKA_SSL_KEY_FILE is required together with KAFKA_SSL_CERT_FILE/,
      );
    });

    test('when registry settings do not fit together, then the key is named', () => {
      expect(message({ ...required, SCHEMA_REGISTRY_USERNAME: 'orders' })).toMatch(
        /SCHEMA_REGISTRY_PASSWORD is required together with SCHEMA_REGISTRY_USERNAME/,
      );
      expect(message({ ...required, SCHEMA_REGISTRY_CA_FILE: __filename })).toMatch(
        /SCHEMA_REGISTRY_URL must be https when SCHEMA_REGISTRY_\*_FILE is set/,
      );
      expect(
        message({
          ...required,
          NODE_ENV: 'production',
          SCHEMA_REGISTRY_USERNAME: 'orders',
          SCHEMA_REGISTRY_PASSWORD: 'registry-password',
        }),
      ).toMatch(/SCHEMA_REGISTRY_URL must be https with SCHEMA_REGISTRY_USERNAME/);
    });

    test('when an optional key is set to the empty string, as .env files write it, then it counts as unset', () => {
      const config = loadConfig({ ...required, KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '' });
      expect(config.KAFKA_SASL_MECHANISM).toBeUndefined();
    });
  });

  describe('breaker settings that could never open', () => {
    // 5 × 10 s of timed-out sends plus backoffs of 200, 400, 800 and 1,600 ms is 53,000 ms;
    // opossum drops a tenth of the window as it rolls, so the window must be 58,889 ms.
    const slowBreaker = {
      BREAKER_VOLUME_THRESHOLD: '5',
      BREAKER_TIMEOUT_MS: '10000',
      OUTBOX_RETRY_MIN_MS: '200',
      OUTBOX_RETRY_MAX_MS: '30000',
    };

    test('when the rolling window cannot hold BREAKER_VOLUME_THRESHOLD timed-out sends and the backoffs between them, then start-up is refused naming the window and what it needs', () => {
      const line = message({ ...required, ...slowBreaker, BREAKER_ROLLING_WINDOW_MS: '58888' });
      expect(line).toMatch(/BREAKER_ROLLING_WINDOW_MS must be at least 58889: .*never opens/);
    });

    test('when the window holds exactly that, then it is accepted', () => {
      expect(
        loadConfig({ ...required, ...slowBreaker, BREAKER_ROLLING_WINDOW_MS: '58889' })
          .BREAKER_ROLLING_WINDOW_MS,
      ).toBe(58_889);
    });

    test('when the backoffs are capped by OUTBOX_RETRY_MAX_MS, then the cap is what counts', () => {
      expect(
        breakerWindowNeededMs({
          BREAKER_VOLUME_THRESHOLD: 4,
          BREAKER_TIMEOUT_MS: 1_000,
          OUTBOX_RETRY_MIN_MS: 500,
          OUTBOX_RETRY_MAX_MS: 1_000,
        }),
      ).toBe(Math.ceil(((4 * 1_000 + 500 + 1_000 + 1_000) * 10) / 9));
    });

    test('when nothing is set, then the defaults can open (the old 10 s timeout with a 30 s window could not)', () => {
      expect(() => loadConfig(required)).not.toThrow();
      expect(message({ ...required, BREAKER_TIMEOUT_MS: '10000' })).toMatch(
        /BREAKER_ROLLING_WINDOW_MS must be at least 34000/,
      );
    });
  });

  test('when ADMIN_PORT equals PORT or the header timeout exceeds the request timeout, then both are named', () => {
    const line = message({
      ...required,
      PORT: '8080',
      ADMIN_PORT: '8080',
      HTTP_HEADERS_TIMEOUT_MS: '60000',
      HTTP_REQUEST_TIMEOUT_MS: '30000',
    });
    expect(line).toMatch(/ADMIN_PORT must differ from PORT/);
    expect(line).toMatch(/HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/);
  });
  describe('transport in production (ALLOW_INSECURE_TRANSPORT)', () => {
    const secure = {
      ...required,
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://orders@db.internal/orders?sslmode=verify-full',
      KAFKA_SSL: 'true',
      SCHEMA_REGISTRY_URL: 'https://registry.internal:8081',
    };

    test('when every link is verified TLS, then production starts and warns of nothing', () => {
      const config = loadConfig(secure);
      expect(config.ALLOW_INSECURE_TRANSPORT).toEqual([]);
      expect(insecureTransportWarnings(config)).toEqual([]);
      const ca = loadConfig({
        ...secure,
        DATABASE_URL: `${required.DATABASE_URL}?sslmode=verify-ca`,
      });
      expect(ca.DATABASE_URL).toContain('verify-ca');
    });

    test.each([
      ['no sslmode', required.DATABASE_URL],
      ['sslmode=require, which trusts any certificate', `${required.DATABASE_URL}?sslmode=require`],
      ['sslmode=disable', `${required.DATABASE_URL}?sslmode=disable`],
    ])('when DATABASE_URL has %s, then production is refused naming it', (_case, url) => {
      expect(message({ ...secure, DATABASE_URL: url })).toBe(
        'Invalid configuration: DATABASE_URL needs sslmode=verify-full or sslmode=verify-ca when ' +
          `NODE_ENV=production (or ALLOW_INSECURE_TRANSPORT=postgres) (got "${url}")`,
      );
    });

    test('when Kafka runs without TLS, SASL SCRAM included, then production is refused naming KAFKA_SSL', () => {
      const scram = {
        ...secure,
        KAFKA_SSL: 'false',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'orders',
        KAFKA_SASL_PASSWORD: 'sasl-password',
      };
      expect(message(scram)).toBe(
        'Invalid configuration: KAFKA_SSL must be true when NODE_ENV=production ' +
          '(or ALLOW_INSECURE_TRANSPORT=kafka) (got "false")',
      );
    });

    test('when the registry is plain http, even without credentials, then production is refused naming it', () => {
      expect(message({ ...secure, SCHEMA_REGISTRY_URL: 'http://registry:8081' })).toBe(
        'Invalid configuration: SCHEMA_REGISTRY_URL must be https when NODE_ENV=production ' +
          '(or ALLOW_INSECURE_TRANSPORT=registry) (got "http://registry:8081")',
      );
    });

    test('when links are opted out, then production starts and logs one warning per link', () => {
      const env = {
        ...required,
        NODE_ENV: 'production',
        ALLOW_INSECURE_TRANSPORT: 'postgres, kafka,registry',
      };
      const warnings = insecureTransportWarnings(loadConfig(env));
      expect(warnings.map(({ link }) => link)).toEqual(['postgres', 'kafka', 'registry']);
      for (const { message: line, link } of warnings) {
        expect(line).toMatch(
          new RegExp(`^INSECURE TRANSPORT: the ${link} link runs without verified TLS`),
        );
      }
      // Opting one link out covers that link only.
      expect(message({ ...env, ALLOW_INSECURE_TRANSPORT: 'kafka,registry' })).toMatch(
        /DATABASE_URL needs sslmode=verify-full/,
      );
    });

    test('when the opt-out names an unknown link, then start-up is refused; outside production it changes nothing', () => {
      expect(message({ ...required, ALLOW_INSECURE_TRANSPORT: 'postgres,everything' })).toMatch(
        /ALLOW_INSECURE_TRANSPORT\.1 lists only postgres, kafka, registry/,
      );
      const development = loadConfig({ ...required, ALLOW_INSECURE_TRANSPORT: 'kafka' });
      expect(insecureTransportWarnings(development)).toEqual([]);
    });

    test('when the DLQ tool reads its keys in production, then it gets the same refusals', () => {
      const keys = ['NODE_ENV', 'ALLOW_INSECURE_TRANSPORT', 'DATABASE_URL', 'KAFKA_SSL'] as const;
      expect(() => loadConfigKeys(keys, { ...secure, KAFKA_SSL: 'false' })).toThrow(
        /KAFKA_SSL must be true when NODE_ENV=production/,
      );
    });
  });
});

describe('loadConfigKeys', () => {
  test('when a command needs only some keys, then only those are required and checked', () => {
    const config = loadConfigKeys(['SCHEMA_REGISTRY_URL', 'KAFKA_TOPIC_PREFIX'], {
      SCHEMA_REGISTRY_URL: 'http://registry:8081',
    });
    expect(config).toEqual({ SCHEMA_REGISTRY_URL: 'http://registry:8081', KAFKA_TOPIC_PREFIX: '' });
  });

  test('when one of its keys is bad, then the same one-line message names it', () => {
    expect(() => loadConfigKeys(['KAFKA_BROKERS'], { KAFKA_BROKERS: 'nope' })).toThrow(
      /^Invalid configuration: KAFKA_BROKERS must be host:port/,
    );
  });

  test('when a command reads keys that belong together, then the rules about them apply, and no others', () => {
    const keys = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;
    expect(() => loadConfigKeys(keys, { KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /KAFKA_SASL_USERNAME is required/,
    );
    // AUTH_* is not among its keys, so the rule that jwt needs a key does not apply.
    expect(loadConfigKeys(['AUTH_MODE'], {})).toEqual({ AUTH_MODE: 'jwt' });
  });
});
