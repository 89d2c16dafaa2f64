import { randomBytes } from 'node:crypto';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { runServiceToExit } from '../../support/service-process';

/** The real entry point (src/start.ts) with configurations it must refuse, before it connects. */
describe('start-up refusals', () => {
  const valid = () => ({
    DATABASE_URL: 'postgresql://orders@127.0.0.1:1/orders',
    KAFKA_BROKERS: sharedKafkaStack().brokers,
    SCHEMA_REGISTRY_URL: sharedKafkaStack().registryUrl,
  });

  test('when AUTH_MODE=none and NODE_ENV=production, then the service refuses to start with one line naming AUTH_MODE', async () => {
    const { code, output } = await runServiceToExit({
      ...valid(),
      NODE_ENV: 'production',
      ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry',
      AUTH_MODE: 'none',
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'Invalid configuration: AUTH_MODE must be jwt when NODE_ENV=production (got "none")\n',
    );
  });

  test('when production runs a link without TLS, then start-up refuses it unless ALLOW_INSECURE_TRANSPORT names it, and then warns once per link before connecting', async () => {
    const production = {
      ...valid(),
      NODE_ENV: 'production',
      AUTH_MODE: 'jwt',
      AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
    };
    const refused = await runServiceToExit(production);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /^Invalid configuration: DATABASE_URL needs sslmode=verify-full/,
    );

    // Opted out: it starts (and fails later on the unreachable database), after one warning each.
    const optedOut = await runServiceToExit(
      { ...production, ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry' },
      10_000,
    );
    const warnings = optedOut.output
      .split('\n')
      .filter((line) => line.includes('INSECURE TRANSPORT'));
    expect(warnings.map((line) => /the (\w+) link/.exec(line)?.[1])).toEqual([
      'postgres',
      'kafka',
      'registry',
    ]);
  }, 60_000);

  test('when AUTH_MODE=none and NODE_ENV is not set, then the service refuses to start with one line', async () => {
    // runServiceToExit sets NODE_ENV=test, as the tests do; an empty value is unset.
    const { code, output } = await runServiceToExit({
      ...valid(),
      NODE_ENV: '',
      AUTH_MODE: 'none',
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'Invalid configuration: AUTH_MODE none needs NODE_ENV=development or NODE_ENV=test set explicitly (got "none")\n',
    );
  });

  test('when a JWKS is used with NODE_ENV=production and no audience, then the service refuses to start with one line naming AUTH_AUDIENCE', async () => {
    const { code, output } = await runServiceToExit({
      ...valid(),
      NODE_ENV: 'production',
      ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry',
      AUTH_MODE: 'jwt',
      AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      AUTH_ISSUER: 'https://idp.example/',
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'Invalid configuration: AUTH_AUDIENCE is required with AUTH_JWKS_URL when NODE_ENV=production (missing)\n',
    );
  });

  test('when TRUST_PROXY=true and NODE_ENV=production, then the service refuses to start with one line naming TRUST_PROXY', async () => {
    const { code, output } = await runServiceToExit({
      ...valid(),
      NODE_ENV: 'production',
      ALLOW_INSECURE_TRANSPORT: 'postgres,kafka,registry',
      AUTH_MODE: 'jwt',
      AUTH_JWT_SECRET: 'a-shared-secret-of-at-least-32-chars',
      TRUST_PROXY: 'true',
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(
      /^Invalid configuration: TRUST_PROXY must not be true when NODE_ENV=production/,
    );
  });

  test('when a bad configuration holds secrets, then the one line names the keys and shows none of the values', async () => {
    const dbPassword = `db-${randomBytes(8).toString('hex')}`;
    const jwtSecret = `jwt-${randomBytes(4).toString('hex')}`; // too short to be accepted
    const { code, output } = await runServiceToExit({
      ...valid(),
      DATABASE_URL: `mysql://orders:${dbPassword}@db.internal:3306/orders`,
      AUTH_JWT_SECRET: jwtSecret,
    });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toMatch(/^Invalid configuration: /);
    expect(output).toMatch(/DATABASE_URL must be a postgres/);
    expect(output).toMatch(/AUTH_JWT_SECRET must be at least 32 characters/);
    expect(output).not.toContain(dbPassword);
    expect(output).not.toContain(jwtSecret);
  });
});
