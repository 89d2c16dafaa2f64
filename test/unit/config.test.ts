import { ConfigError, loadConfig, loadConfigKeys, secretsOf } from '../../src/config';

describe('loadConfig', () => {
  const required = {
    DATABASE_URL: 'postgresql://localhost/orders',
    KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
    AUTH_JWT_SECRET: 'a-shared-secret-of-at-least-32-chars',
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
    expect(config).toMatchObject({
      PORT: 3000,
      ADMIN_PORT: 9464,
      AUTH_MODE: 'jwt',
      RATE_LIMIT_PER_MINUTE: 60,
      DATABASE_POOL_SIZE: 10,
      DATABASE_WORKER_POOL_SIZE: 6,
      DATABASE_STATEMENT_TIMEOUT_MS: 5_000,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
      LOG_LEVEL: 'info',
      TRUST_PROXY: false,
    });
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
      expect(message({ ...required, AUTH_MODE: 'none', NODE_ENV: 'production' })).toBe(
        'Invalid configuration: AUTH_MODE must be jwt when NODE_ENV=production (got "none")',
      );
      expect(loadConfig({ ...required, AUTH_MODE: 'none' }).AUTH_MODE).toBe('none');
    });

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

    test('when a config holds secrets, then secretsOf lists each of them, the URL password decoded too', () => {
      const config = loadConfig({
        ...required,
        DATABASE_URL: 'postgresql://orders:p%40ss-word@db/orders',
      });
      expect(secretsOf(config)).toEqual(
        expect.arrayContaining(['p%40ss-word', 'p@ss-word', required.AUTH_JWT_SECRET]),
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
    const keys = ['AUTH_MODE', 'AUTH_JWT_SECRET', 'AUTH_JWKS_URL'] as const;
    expect(() => loadConfigKeys(keys, {})).toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL is required/);
    // AUTH_* is not among its keys, so the rule that jwt needs a key does not apply.
    expect(loadConfigKeys(['AUTH_MODE'], {})).toEqual({ AUTH_MODE: 'jwt' });
  });
});
