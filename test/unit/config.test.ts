import { ConfigError, loadConfig, loadConfigKeys } from '../../src/config';

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
