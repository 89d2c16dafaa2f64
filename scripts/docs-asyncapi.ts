// `npm run docs:asyncapi`: writes docs/asyncapi.json, the Kafka contract as AsyncAPI 3.0, from
// the topic lists and schemas/*.avsc the service uses, with the default prefix, group and
// client id. The admin port serves the same document with the running service's settings.
// test/unit/messaging/asyncapi-document.test.ts fails when the committed file differs from this.
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigKeys } from '../src/config';
import { asyncApiDocument } from '../src/messaging/asyncapi-document';
import { serviceVersion } from '../src/shared/service-version';

export const ASYNCAPI_FILE = 'docs/asyncapi.json';

/**
 * The document with the settings' defaults, as JSON.stringify writes it (.prettierignore lists
 * the file: Prettier would fold short arrays, and its API cannot run under jest).
 */
export function renderAsyncApiFile(): string {
  const defaults = loadConfigKeys(
    ['KAFKA_TOPIC_PREFIX', 'SAGA_CONSUMER_GROUP', 'KAFKA_CLIENT_ID'],
    {},
  );
  const document = asyncApiDocument({
    topicPrefix: defaults.KAFKA_TOPIC_PREFIX,
    consumerGroup: defaults.SAGA_CONSUMER_GROUP,
    clientId: defaults.KAFKA_CLIENT_ID,
    version: serviceVersion(),
  });
  return `${JSON.stringify(document, null, 2)}\n`;
}

function main(): void {
  const file = join(__dirname, '..', ASYNCAPI_FILE);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const after = renderAsyncApiFile();
  writeFileSync(file, after);
  process.stdout.write(`${file} ${before === after ? 'already up to date' : 'updated'}\n`);
}

if (require.main === module) main();
