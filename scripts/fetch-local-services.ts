/**
 * `npm run services:fetch`: downloads, once, what the tests, the demo and the bench run as real
 * services where Java and Maven are present: the Apache Kafka broker's jars and Apicurio
 * Registry, both from Maven Central (test/kafka-broker/pom.xml, test/schema-registry/pom.xml),
 * and the Kafka 4.x broker `npm run test:kafka4` runs against.
 * Without Java or Maven it says so and exits 0: the kcat mock and the registry stand-in remain.
 */
import { apicurioUnavailableReason, fetchApicurio } from '../test/support/apicurio-registry';
import {
  fetchJvmBrokerJars,
  jvmBrokerUnavailableReason,
  KAFKA_4_VERSION,
} from '../test/support/kafka-jvm-broker';

async function main(): Promise<void> {
  const brokerMissing = jvmBrokerUnavailableReason();
  process.stdout.write(
    brokerMissing
      ? `Kafka broker: skipped (${brokerMissing})\n`
      : `Kafka broker: ${await fetchJvmBrokerJars()}\n` +
          `Kafka ${KAFKA_4_VERSION} broker (npm run test:kafka4): ` +
          `${await fetchJvmBrokerJars(KAFKA_4_VERSION)}\n`,
  );
  const registryMissing = apicurioUnavailableReason();
  process.stdout.write(
    registryMissing
      ? `schema registry: skipped (${registryMissing})\n`
      : `schema registry: ${await fetchApicurio()}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
