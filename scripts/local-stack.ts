/**
 * A local Kafka + Schema Registry for development, without Docker: librdkafka's mock cluster
 * (kcat) and the registry stand-in, both TEST stand-ins, in memory. Prints the environment for
 * the service and stays up until SIGINT/SIGTERM/SIGHUP, then stops both.
 *   npm run -s local-stack         # then paste the two export lines into another shell
 * From another program, start `tsx scripts/local-stack.ts` itself and signal that process:
 * `npm run` does not pass SIGTERM on to the script (its `sh -c` drops it).
 */
import { startMockBroker } from '../test/support/kafka-mock-broker';
import { startSchemaRegistryStandIn } from '../test/support/schema-registry-stand-in';

async function main(): Promise<void> {
  const [broker, registry] = await Promise.all([startMockBroker(), startSchemaRegistryStandIn()]);
  process.stdout.write(
    `export KAFKA_BROKERS=${broker.brokers.join(',')}\n` +
      `export SCHEMA_REGISTRY_URL=${registry.url}\n`,
  );
  const shutdown = (): void => {
    Promise.all([broker.stop(), registry.stop()]).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`local stack: stopping failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
