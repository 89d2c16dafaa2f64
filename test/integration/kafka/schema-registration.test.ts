import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { startOrderService } from '../../../src/application';
import { findSchemasDir, loadAvroSchema } from '../../../src/messaging/avro-schemas';
import {
  registerSchemas,
  SchemaIncompatibleError,
} from '../../../src/messaging/schema-registration';
import { createRegistryClient } from '../../../src/messaging/schema-registry-client';
import { PRODUCED_TOPICS, subjectFor } from '../../../src/messaging/topics';
import { createLogger } from '../../../src/shared/logger';
import { createTestDatabase } from '../../support/database';
import { sharedKafkaStack } from '../../support/kafka-stack';
import {
  aValidOrder,
  postOrder,
  readJson,
  testConfig,
  uniqueTopicPrefix,
} from '../../support/order-service-harness';
import { readTopics } from '../../support/topic-reader';
import { waitFor } from '../../support/wait-for';

interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
  doc?: string;
}
interface AvroRecord {
  fields: AvroField[];
  [key: string]: unknown;
}

const registryUrl = () => sharedKafkaStack().registryUrl;

/** The committed process_payment_request schema, changed by `edit`. */
function paymentRequestSchema(edit: (fields: AvroField[]) => AvroField[] = (f) => f): AvroRecord {
  const schema = loadAvroSchema('process_payment_request');
  return { ...schema, fields: edit(schema.fields) };
}

const withoutCurrency = (fields: AvroField[]) => fields.filter((f) => f.name !== 'currency');
const withRequiredX = (fields: AvroField[]) => [...fields, { name: 'x', type: 'string' }];
const withOptionalNote = (fields: AvroField[]) => [
  ...fields,
  { name: 'note', type: ['null', 'string'], default: null, doc: 'Added later, optional.' },
];

async function versionsOf(subject: string): Promise<number[]> {
  return readJson(await fetch(`${registryUrl()}/subjects/${subject}/versions`));
}

describe('schema registration: produced schemas evolve only compatibly', () => {
  const logger = createLogger('silent');
  // Each test starts as a fresh deploy would: subjects of its own (a topic prefix) and its own
  // copy of schemas/, and registers what it needs first, so that any test can run alone.
  let topicPrefix: string;
  let subject: string;
  let schemasDir: string;

  /** Registers the temp copy of schemas/ the way a fresh deploy would: a new registry client. */
  const register = () =>
    registerSchemas(createRegistryClient({ url: registryUrl(), retries: 0 }), PRODUCED_TOPICS, {
      topicPrefix,
      compatibility: 'FULL_TRANSITIVE',
      logger,
      schemasDir,
    });

  const commitPaymentRequestSchema = (schema: AvroRecord) =>
    writeFileSync(
      path.join(schemasDir, 'process_payment_request.avsc'),
      JSON.stringify(schema, null, 2),
    );

  /** The committed schemas registered, then process_payment_request with an optional note. */
  async function registeredTwice(): Promise<void> {
    await register();
    commitPaymentRequestSchema(paymentRequestSchema(withOptionalNote));
    await register();
  }

  beforeEach(() => {
    topicPrefix = uniqueTopicPrefix();
    subject = subjectFor(topicPrefix, 'process_payment_request');
    schemasDir = mkdtempSync(path.join(tmpdir(), 'schemas-'));
    cpSync(findSchemasDir(), schemasDir, { recursive: true });
  });
  afterEach(() => rmSync(schemasDir, { recursive: true, force: true }));

  test('when schemas are registered the first time, then every produced topic gets an id and FULL_TRANSITIVE compatibility', async () => {
    const ids = await register();

    expect([...ids.keys()].sort()).toEqual([...PRODUCED_TOPICS].sort());
    for (const topic of PRODUCED_TOPICS) {
      const config = await readJson(
        await fetch(`${registryUrl()}/config/${subjectFor(topicPrefix, topic)}`),
      );
      expect({ topic, level: config.compatibilityLevel }).toEqual({
        topic,
        level: 'FULL_TRANSITIVE',
      });
    }
  });

  test('when identical schemas are registered again, then the same ids come back and no version is added', async () => {
    const first = await register();

    const again = await register();

    expect(again).toEqual(first);
    expect(await versionsOf(subject)).toEqual([1]);
  });

  test('when a produced schema gains an optional field with a default, then it is registered as a new version', async () => {
    const first = await register();
    commitPaymentRequestSchema(paymentRequestSchema(withOptionalNote));

    const ids = await register();

    expect(ids.get('process_payment_request')).not.toBe(first.get('process_payment_request'));
    expect(await versionsOf(subject)).toEqual([1, 2]);
  });

  test('when a produced schema drops a required field, then the registry refuses it naming the subject', async () => {
    await registeredTwice();
    // BACKWARD alone would allow this (the new reader ignores the field); consumers still on a
    // registered version could not read the new records, which FULL_TRANSITIVE refuses.
    commitPaymentRequestSchema(paymentRequestSchema((f) => withoutCurrency(withOptionalNote(f))));

    const refusal = register();

    await expect(refusal).rejects.toBeInstanceOf(SchemaIncompatibleError);
    await expect(refusal).rejects.toThrow(
      new RegExp(`subject ${escape(subject)} is incompatible: the schema registry refused it`),
    );
    expect(await versionsOf(subject)).toEqual([1, 2]);
  });

  test('when a produced schema gains a required field without default, then the registry refuses it and the error names the subject', async () => {
    await registeredTwice();
    commitPaymentRequestSchema(paymentRequestSchema((f) => withRequiredX(withOptionalNote(f))));

    const refusal = register();

    await expect(refusal).rejects.toBeInstanceOf(SchemaIncompatibleError);
    await expect(refusal).rejects.toThrow(
      new RegExp(`subject ${escape(subject)} is incompatible: the schema registry refused it`),
    );
    expect(await versionsOf(subject)).toEqual([1, 2]);
  });

  test('when only the namespace of a produced schema changes, then the registry accepts it: records match by unqualified name', async () => {
    await registeredTwice();
    commitPaymentRequestSchema({
      ...paymentRequestSchema(withOptionalNote),
      namespace: 'com.example.regenerated',
    });

    const ids = await register();

    expect(ids.get('process_payment_request')).toEqual(expect.any(Number));
    expect(await versionsOf(subject)).toEqual([1, 2, 3]);
  });
});

describe('service start-up: only a schema the registry cannot accept stops the service', () => {
  test.each([
    {
      registered: 'has a required field x the committed schema lacks',
      edit: withRequiredX,
    },
    {
      registered: 'lacks the required field currency the committed schema has',
      edit: withoutCurrency,
    },
  ])(
    'when the registered process_payment_request $registered, then the service reports a fatal error naming the subject',
    async ({ edit }) => {
      const database = await createTestDatabase();
      try {
        // The stop comes while the saga consumer may still be joining its group, which took
        // over testConfig's 2 s on a loaded machine; this test is about the refusal, not the stop.
        const config = testConfig({ DATABASE_URL: database.url, SHUTDOWN_TIMEOUT_MS: '15000' });
        const subject = subjectFor(config.KAFKA_TOPIC_PREFIX, 'process_payment_request');
        await new SchemaRegistry({ host: config.SCHEMA_REGISTRY_URL }).register(
          { type: SchemaType.AVRO, schema: JSON.stringify(paymentRequestSchema(edit)) },
          { subject, compatibility: COMPATIBILITY.BACKWARD },
        );

        // Registration runs beside intake; a refusal is reported as fatal (start.ts exits 1).
        const service = await startOrderService(config);
        const refusal = await service.fatal.finally(() => service.stop());

        expect(refusal).toBeInstanceOf(SchemaIncompatibleError);
        expect((refusal as Error).message).toContain(
          `Schema for subject ${subject} is incompatible`,
        );
        expect((refusal as Error).message).toMatch(/the schema registry refused it/);
        expect(await versionsOf(subject)).toEqual([1]);
      } finally {
        await database.drop();
      }
    },
  );

  test('when the registry fails with a server error while registering, then the service still starts and publishes once the registry recovers', async () => {
    const registry = await startFlakyRegistry(registryUrl());
    const database = await createTestDatabase();
    const config = testConfig({ DATABASE_URL: database.url, SCHEMA_REGISTRY_URL: registry.url });
    let service: Awaited<ReturnType<typeof startOrderService>> | undefined;
    try {
      // An outage is not an incompatible schema: intake must not be refused because of it.
      service = await startOrderService(config);
      // Registration runs beside intake: it has been refused, and intake answers all the same.
      await waitFor(() => registry.state.refused > 0, { message: 'the registry refusing' });

      const response = await postOrder(service.http.url, aValidOrder());
      expect(response.status).toBe(202);
      const { id } = await readJson(response);
      registry.state.failing = false;

      const reader = await readTopics(config.KAFKA_BROKERS, registryUrl(), [
        `${config.KAFKA_TOPIC_PREFIX}process_payment_request`,
      ]);
      try {
        await waitFor(() => reader.records.some((record) => record.key === id), {
          timeoutMs: 20_000,
          message: 'the order on Kafka once the registry recovered',
        });
      } finally {
        await reader.stop();
      }
    } finally {
      await service?.stop();
      await database.drop();
      await registry.stop();
    }
  });
});

/**
 * The registry behind a switch: while `failing`, every registration (POST .../versions)
 * answers 500, as a registry with a sick backing store does; everything else passes through.
 */
async function startFlakyRegistry(target: string) {
  const state = { failing: true, refused: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (state.failing && request.method === 'POST' && /\/versions$/.test(request.url ?? '')) {
        state.refused++;
        response.writeHead(500, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        response.end(JSON.stringify({ error_code: 50001, message: 'Error in the backend store' }));
        return;
      }
      const body = Buffer.concat(chunks);
      fetch(`${target}${request.url}`, {
        method: request.method,
        headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
        ...(body.length > 0 ? { body } : {}),
      }).then(
        async (answer) => {
          response.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
          });
          response.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => response.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
