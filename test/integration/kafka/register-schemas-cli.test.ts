import { createServer, type AddressInfo } from 'node:net';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { loadAvroSchema } from '../../../src/messaging/avro-schemas';
import { PRODUCED_TOPICS, subjectFor } from '../../../src/messaging/topics';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { readJson, uniqueTopicPrefix } from '../../support/order-service-harness';
import { runRegisterSchemas as runCli } from '../../support/register-schemas-cli';

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('schemas:register CLI', () => {
  const registryUrl = sharedKafkaStack().registryUrl;

  test('when the registry accepts the schemas, then it prints one line per produced subject with its id and exits 0', async () => {
    const prefix = uniqueTopicPrefix();

    const result = await runCli({ SCHEMA_REGISTRY_URL: registryUrl, KAFKA_TOPIC_PREFIX: prefix });

    expect(result.code).toBe(0);
    const expected = await Promise.all(
      PRODUCED_TOPICS.map(async (topic) => {
        const subject = subjectFor(prefix, topic);
        const latest = await readJson(
          await fetch(`${registryUrl}/subjects/${subject}/versions/latest`),
        );
        return `subject=${subject} id=${latest.id}`;
      }),
    );
    expect(lines(result.stdout)).toEqual(expected);

    const again = await runCli({ SCHEMA_REGISTRY_URL: registryUrl, KAFKA_TOPIC_PREFIX: prefix });
    expect({ code: again.code, stdout: lines(again.stdout) }).toEqual({
      code: 0,
      stdout: expected,
    });
  });

  test('when the registry cannot be reached, then it prints one line naming the registry and exits 1', async () => {
    const unreachable = `http://127.0.0.1:${await closedPort()}`;

    const result = await runCli({ SCHEMA_REGISTRY_URL: unreachable });

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`^schemas:register failed: Schema registry at ${unreachable} failed: .+`),
      ),
    ]);
  });

  test('when a schema is incompatible with the registered one, then it prints one line naming the subject and exits 1', async () => {
    const prefix = uniqueTopicPrefix();
    const subject = subjectFor(prefix, 'process_payment_request');
    const committed = loadAvroSchema('process_payment_request');
    // Consumers on this version need `x`, which the committed schema does not write.
    const registered = {
      ...committed,
      fields: [...committed.fields, { name: 'x', type: 'string' }],
    };
    await new SchemaRegistry({ host: registryUrl }).register(
      { type: SchemaType.AVRO, schema: JSON.stringify(registered) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );

    const result = await runCli({ SCHEMA_REGISTRY_URL: registryUrl, KAFKA_TOPIC_PREFIX: prefix });

    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      expect.stringContaining(
        `schemas:register failed: Schema for subject ${subject} is incompatible`,
      ),
    ]);
  });

  test('when SCHEMA_REGISTRY_URL is missing, then it prints one line naming the key and exits 1', async () => {
    const result = await runCli({});

    expect(result.code).toBe(1);
    // Only the key it needs is named: DATABASE_URL and KAFKA_BROKERS are not required here.
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        /^schemas:register failed: Invalid configuration: SCHEMA_REGISTRY_URL [^;]*\(missing\)$/,
      ),
    ]);
  });
});
