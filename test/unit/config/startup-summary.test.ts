import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, startupSummary } from '../../../src/config';
import { REDACTED } from '../../../src/shared/redaction';

describe('the start-up line', () => {
  const secrets = {
    database: 'db-pa55"word/with@signs',
    jwt: 'a-shared-secret-of-at-least-32-chars!',
    sasl: 'k9', // shorter than the redactor's minimum: replaced as a whole value
    registry: 'registry-password-1',
  };
  const config = loadConfig({
    DATABASE_URL: `postgresql://orders:${encodeURIComponent(secrets.database)}@db:5432/orders`,
    KAFKA_BROKERS: 'kafka-1:9092',
    SCHEMA_REGISTRY_URL: 'http://registry:8081',
    AUTH_JWT_SECRET: secrets.jwt,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'order-service',
    KAFKA_SASL_PASSWORD: secrets.sasl,
    SCHEMA_REGISTRY_USERNAME: 'order-service',
    SCHEMA_REGISTRY_PASSWORD: secrets.registry,
  });

  test('when the config holds secrets, then the summary shows every key and the version, and no secret', () => {
    const summary = startupSummary(config);
    const line = JSON.stringify(summary);

    const { version } = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'),
    );
    expect(summary.version).toBe(version);
    expect(Object.keys(summary.config).sort()).toEqual(Object.keys(config).sort());
    expect(summary.config.KAFKA_BROKERS).toEqual(['kafka-1:9092']);
    expect(summary.config.SHUTDOWN_TIMEOUT_MS).toBe(10_000);
    for (const secret of [
      secrets.database,
      encodeURIComponent(secrets.database),
      secrets.jwt,
      secrets.registry,
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(summary.config).toMatchObject({
      AUTH_JWT_SECRET: REDACTED,
      KAFKA_SASL_PASSWORD: REDACTED,
      SCHEMA_REGISTRY_PASSWORD: REDACTED,
      DATABASE_URL: `postgresql://orders:${REDACTED}@db:5432/orders`,
    });
  });
});
