import { createTestDatabase, type TestDatabase } from '../../support/database';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { brokerSettings, uniqueTopicPrefix } from '../../support/order-service-harness';
import { runServiceToExit, spawnService, type ServiceProcess } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';

/**
 * The real entry point (src/start.ts) with CONSUMER_MAX_ATTEMPTS, the former name of
 * CONSUMER_MAX_UNKNOWN_ATTEMPTS, which deployments still set: read for one release, with a
 * warning.
 */
describe('a configuration key under its former name', () => {
  let database: TestDatabase | undefined;
  let service: ServiceProcess | undefined;
  afterAll(async () => {
    await service?.kill();
    await database?.drop();
  });

  const connections = () => ({
    KAFKA_BROKERS: sharedKafkaStack().brokers,
    SCHEMA_REGISTRY_URL: sharedKafkaStack().registryUrl,
  });

  test('when only the former name is set, then the service starts and logs one warning naming both names', async () => {
    database = await createTestDatabase();
    service = await spawnService({
      ...brokerSettings(),
      ...connections(),
      DATABASE_URL: database.url,
      KAFKA_TOPIC_PREFIX: uniqueTopicPrefix(),
      CONSUMER_MAX_ATTEMPTS: '3',
    });
    const running = service;
    const warnings = () =>
      running
        .output()
        .split('\n')
        .filter((line) => line.includes('CONSUMER_MAX_ATTEMPTS'));
    await waitFor(() => warnings().length > 0, { message: 'the deprecation warning' });
    expect(warnings()).toHaveLength(1);
    expect(JSON.parse(warnings()[0]!)).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('set CONSUMER_MAX_UNKNOWN_ATTEMPTS instead'),
      key: 'CONSUMER_MAX_UNKNOWN_ATTEMPTS',
      formerName: 'CONSUMER_MAX_ATTEMPTS',
    });
    expect(await service.terminate()).toBe(0);
  });

  test('when both names are set to different values, then the service refuses to start with one line naming both', async () => {
    const { code, output } = await runServiceToExit({
      ...connections(),
      DATABASE_URL: 'postgresql://orders@127.0.0.1:1/orders',
      CONSUMER_MAX_UNKNOWN_ATTEMPTS: '5',
      CONSUMER_MAX_ATTEMPTS: '3',
    });
    expect(code).toBe(1);
    expect(output).toBe(
      'Invalid configuration: CONSUMER_MAX_UNKNOWN_ATTEMPTS and CONSUMER_MAX_ATTEMPTS, its former name, disagree; set only CONSUMER_MAX_UNKNOWN_ATTEMPTS (got "5"; CONSUMER_MAX_ATTEMPTS got "3")\n',
    );
  });
});
