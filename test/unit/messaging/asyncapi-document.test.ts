import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type Diagnostic } from '@asyncapi/parser';
import { Type } from 'avsc';
import { ASYNCAPI_FILE, renderAsyncApiFile } from '../../../scripts/docs-asyncapi';
import { asyncApiDocument } from '../../../src/messaging/asyncapi-document';
import { DLQ_HEADERS } from '../../../src/messaging/dead-letter-headers';
import { CONSUMED_TOPICS, PRODUCED_TOPICS } from '../../../src/messaging/topics';

const ROOT = join(__dirname, '../../..');
const SETTINGS = {
  topicPrefix: 'staging.',
  consumerGroup: 'order-service-saga',
  clientId: 'order-service',
  version: '1.2.3',
};

/** Errors and warnings only: the parser also says, as information, that 3.1.0 exists. */
async function problems(document: object): Promise<string[]> {
  const { diagnostics } = await new Parser().parse(JSON.stringify(document));
  return diagnostics
    .filter((diagnostic: Diagnostic) => diagnostic.severity <= 1)
    .map(({ code, message, path }) => `${code}: ${message} at ${path.join('.')}`);
}

type Doc = ReturnType<typeof asyncApiDocument>;

/** What these tests read of a message. */
interface MessageView {
  title: string;
  payload: unknown;
  headers: { properties?: Record<string, unknown> };
  bindings: { kafka: { key: unknown } };
}

const messagesOf = (document: Doc) => Object.values(document.components.messages) as MessageView[];
type Operation = Doc['operations'][string];

/** Each operation as `<action> <address>`, the address read through its channel reference. */
function operationsOf(document: Doc): string[] {
  return Object.values(document.operations).map((operation: Operation) => {
    const channel = operation.channel.$ref.replace('#/channels/', '');
    return `${operation.action} ${document.channels[channel]?.address}`;
  });
}

describe('the Kafka contract as AsyncAPI 3.0', () => {
  test('when a topic, schema or header changes, then docs/asyncapi.json must be regenerated (npm run docs:asyncapi)', () => {
    expect(readFileSync(join(ROOT, ASYNCAPI_FILE), 'utf8')).toBe(renderAsyncApiFile());
  });

  test('when the AsyncAPI parser reads the document, with and without a prefix, then it reports no error or warning', async () => {
    expect(await problems(asyncApiDocument(SETTINGS))).toEqual([]);
    expect(await problems(asyncApiDocument({ ...SETTINGS, topicPrefix: '' }))).toEqual([]);
  });

  test('when the document is broken, then the parser reports it (the check above can fail)', async () => {
    const broken = asyncApiDocument(SETTINGS);
    const [first = ''] = Object.keys(broken.operations);
    broken.operations[first] = {
      ...broken.operations[first]!,
      channel: { $ref: '#/channels/no_such_topic' },
    };
    expect((await problems(broken)).length).toBeGreaterThan(0);
  });

  test('every topic the service produces is sent, every reply received, every dead-letter topic sent, under the prefix', () => {
    expect(operationsOf(asyncApiDocument(SETTINGS)).sort()).toEqual(
      [
        ...PRODUCED_TOPICS.map((topic) => `send staging.${topic}`),
        ...CONSUMED_TOPICS.map((topic) => `receive staging.${topic}`),
        ...CONSUMED_TOPICS.map((topic) => `send staging.${topic}_dlq`),
      ].sort(),
    );
  });

  test("each record's payload is its schemas/<topic>.avsc as committed, a valid Avro schema, keyed by a string", () => {
    const messages = messagesOf(asyncApiDocument(SETTINGS));
    for (const topic of [...PRODUCED_TOPICS, ...CONSUMED_TOPICS]) {
      const message = messages.find((candidate) => candidate.title === topic);
      const avsc: unknown = JSON.parse(
        readFileSync(join(ROOT, 'schemas', `${topic}.avsc`), 'utf8'),
      );
      expect(message?.payload).toEqual({
        schemaFormat: 'application/vnd.apache.avro;version=1.9.0',
        schema: avsc,
      });
      expect(() => Type.forSchema(avsc as never)).not.toThrow();
      expect(message?.bindings.kafka.key).toMatchObject({ type: 'string' });
    }
  });

  test('each dead-letter message names every header the dead-letter publisher writes', () => {
    const messages = messagesOf(asyncApiDocument(SETTINGS));
    for (const topic of CONSUMED_TOPICS) {
      const message = messages.find((candidate) => candidate.title === `${topic}_dlq`);
      expect(Object.keys(message?.headers.properties ?? {}).sort()).toEqual(
        Object.values(DLQ_HEADERS).sort(),
      );
    }
  });
});
