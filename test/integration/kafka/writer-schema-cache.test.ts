import { COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { loadAvroSchema } from '../../../src/messaging/avro-schemas';
import { PoisonRecordError } from '../../../src/messaging/failure-policy';
import { createRegistryClient } from '../../../src/messaging/schema-registry-client';
import { subjectFor } from '../../../src/messaging/topics';
import { createWriterSchemas, type WriterSchemas } from '../../../src/messaging/writer-schemas';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { uniqueTopicPrefix } from '../../support/order-service-harness';
import { startRegistryFront, type RegistryFront } from '../../support/registry-front';

/**
 * Writer schema look-ups against the real registry behind a front that counts what reaches it:
 * a forged schema id costs one registry call per id and miss lifetime, not one per record, and
 * the caches hold a bounded number of entries.
 */
describe('writer schema caches: misses kept, entries bounded', () => {
  const { registryUrl } = sharedKafkaStack();
  const prefix = uniqueTopicPrefix();
  const MISS_TTL_MS = 400;
  let front: RegistryFront;
  let knownId: number;
  let nextForgedId = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
  const forgedId = () => nextForgedId++;

  beforeAll(async () => {
    front = await startRegistryFront(registryUrl);
    knownId = await createRegistryClient({ url: registryUrl, retries: 0 }).register(
      subjectFor(prefix, 'payment_successful'),
      loadAvroSchema('payment_successful'),
      COMPATIBILITY.BACKWARD,
    );
  });
  afterAll(() => front?.stop());

  const writersWith = (cacheEntries: number): WriterSchemas =>
    createWriterSchemas(createRegistryClient({ url: front.url, retries: 0 }), {
      maxExpansion: 1_000,
      cacheEntries,
      missTtlMs: MISS_TTL_MS,
    });
  const callsTo = (path: string) => front.paths().filter((p) => p === path).length;
  const refusal = (lookup: Promise<unknown>) =>
    lookup.then(
      () => 'found',
      (error: unknown) => (error instanceof PoisonRecordError ? error.code : error),
    );

  test('when records keep coming with the same forged schema id, then the registry is asked once per miss lifetime', async () => {
    const writers = writersWith(10);
    const id = forgedId();

    const answers = [];
    for (let i = 0; i < 50; i++) answers.push(await refusal(writers.writer(id)));
    answers.push(
      ...(await Promise.all(Array.from({ length: 20 }, () => refusal(writers.writer(id))))),
    );

    expect(new Set(answers)).toEqual(new Set(['unknown-schema-id']));
    expect(callsTo(`/schemas/ids/${id}`)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, MISS_TTL_MS + 100));
    expect(await refusal(writers.writer(id))).toBe('unknown-schema-id');
    expect(callsTo(`/schemas/ids/${id}`)).toBe(2);
  });

  test('when more ids are asked for than the cache holds, then the least recently used is forgotten and only it is asked for again', async () => {
    const writers = writersWith(3);
    const [a, b, c, d] = [forgedId(), forgedId(), forgedId(), forgedId()];
    for (const id of [a, b, c, a, d]) await refusal(writers.writer(id)); // b is the oldest now

    await refusal(writers.writer(a));
    await refusal(writers.writer(b));

    expect([a, b, c, d].map((id) => callsTo(`/schemas/ids/${id}`))).toEqual([1, 2, 1, 1]);
  });

  test('when a known id is checked against a subject it is not under, then it is refused and the answer is kept for the miss lifetime', async () => {
    const writers = writersWith(10);
    const elsewhere = subjectFor(prefix, 'payment_failed');

    expect(await refusal(writers.writer(knownId))).toBe('found');
    expect(
      await refusal(writers.requireSubject(subjectFor(prefix, 'payment_successful'), knownId)),
    ).toBe('found');
    for (let i = 0; i < 10; i++) {
      expect(await refusal(writers.requireSubject(elsewhere, knownId))).toBe('incompatible-schema');
    }
    await refusal(writers.writer(knownId));

    expect(callsTo(`/schemas/ids/${knownId}`)).toBe(1);
    expect(callsTo(`/schemas/ids/${knownId}/versions`)).toBe(2); // one per subject
  });
});
