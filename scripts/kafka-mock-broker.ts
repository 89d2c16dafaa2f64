/**
 * Runs the mock Kafka broker (librdkafka's mock cluster in kcat; a test broker, in memory) until
 * SIGINT/SIGTERM. Prints one line, `KAFKA_BROKERS=host:port`, for local-stack scripts to read.
 *   npx tsx scripts/kafka-mock-broker.ts
 */
import { startMockBroker } from '../test/support/kafka-mock-broker';

async function main(): Promise<void> {
  const broker = await startMockBroker();
  process.stdout.write(`KAFKA_BROKERS=${broker.brokers.join(',')}\n`);
  const shutdown = (): void => {
    broker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
