import { ConfigError, loadConfig, loadConfigKeys, secretsOf } from '../../src/config';

describe('loadConfig', () => {
  const required = {
    DATABASE_URL: 'postgresql://localhost/orders',
    KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
  };

  test('when only the required keys are set, then every other key has its documented default', () => {
    const config = loadConfig(required);
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_POOL_SIZE: 10,
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
});

describe('secrets in configuration errors', () => {
  const required = {
    DATABASE_URL: 'postgresql://localhost/orders',
    KAFKA_BROKERS: 'kafka-1:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
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

  test('when a malformed DATABASE_URL carries a password, then the error names the key but not the password', () => {
    const line = message({ ...required, DATABASE_URL: 'mysql://orders:Pa55:w/ord@db:5432/orders' });
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

  test('when a config holds a database password, then secretsOf lists it, raw and decoded', () => {
    const config = loadConfig({
      ...required,
      DATABASE_URL: 'postgresql://orders:p%40ss-word@db/orders',
    });
    expect(secretsOf(config)).toEqual(expect.arrayContaining(['p%40ss-word', 'p@ss-word']));
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
});
