import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('when only DATABASE_URL is set, then every other key has its documented default', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://localhost/orders' });
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_POOL_SIZE: 10,
      LOG_LEVEL: 'info',
      TRUST_PROXY: false,
    });
  });

  test('when DATABASE_URL is missing, then one line names the key', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(
      /^Invalid configuration: DATABASE_URL is required \(missing\)$/,
    );
  });

  test('when several values are bad, then every bad key is named with what was received', () => {
    const attempt = () =>
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'eighty', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(/DATABASE_URL must be a postgres/);
    expect(attempt).toThrow(/PORT .*\(got "eighty"\)/);
    expect(attempt).toThrow(/LOG_LEVEL .*\(got "loud"\)/);
  });
});
