/**
 * Postgres, Kafka and a schema registry for local development, without Docker: an embedded
 * PostgreSQL 15, a real Apache Kafka broker in a local JVM (or librdkafka's mock cluster via kcat
 * where Java is missing) and the registry stand-in; see test/support/local-services.ts. Creates
 * and migrates a database `orders`, prints the environment for the service, and stays up until
 * SIGINT/SIGTERM/SIGHUP, then stops everything (the embedded server's data goes with it). The
 * printed settings run the service without authentication (AUTH_MODE=none, for local development
 * only); README shows how to run it with tokens instead (npm run -s token).
 *   npm run -s local-stack         # then paste the export lines into another shell
 * From another program, start `tsx scripts/local-stack.ts` itself and signal that process:
 * `npm run` does not pass SIGTERM on to the script (its `sh -c` drops it).
 */
import { adminQuery, databaseUrl, runDbMigrate } from '../test/support/database';
import { startLocalServices } from '../test/support/local-services';
import { firstLineOf } from '../test/support/service-start-error';

async function main(): Promise<void> {
  const services = await startLocalServices();
  const shutdown = (): void => {
    services.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`local stack: stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, shutdown);
  process.stderr.write(`${services.summary}\n`);

  const { postgres, kafka } = services;
  let url = postgres.adminUrl;
  if (postgres.embedded) {
    await adminQuery(postgres.adminUrl, 'CREATE DATABASE orders');
    url = databaseUrl(postgres.adminUrl, 'orders');
    const migrate = await runDbMigrate(['deploy'], { DATABASE_URL: url });
    if (migrate.code !== 0) throw new Error(`migrating failed: ${migrate.stderr.trim()}`);
  }
  const settings = [
    'NODE_ENV=development',
    'AUTH_MODE=none',
    `DATABASE_URL=${url}`,
    `KAFKA_BROKERS=${kafka.brokers.join(',')}`,
    `SCHEMA_REGISTRY_URL=${kafka.registryUrl}`,
    ...(kafka.flavour === 'mock'
      ? ['KAFKA_IDEMPOTENT_PRODUCER=false']
      : ['KAFKA_CREATE_TOPICS=true', 'KAFKA_REPLICATION_FACTOR=1']),
  ];
  process.stdout.write(settings.map((line) => `export ${line}\n`).join(''));
}

main().catch((error: unknown) => {
  // One line saying what to do (ServiceStartError); the log tails stay in the error's details.
  process.stderr.write(`local stack: ${firstLineOf(error)}\n`);
  process.exit(1);
});
