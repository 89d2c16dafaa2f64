import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { randomUUID } from 'node:crypto';
import { createFrameWriter, readConfluentFrame } from '../../../src/messaging/confluent-frame';
import {
  createEventEncoder,
  PayloadSchemaMismatchError,
  UnknownTopicError,
} from '../../../src/messaging/event-encoder';
import { loadAvroSchema } from '../../../src/messaging/avro-schemas';
import type { SagaTopic } from '../../../src/messaging/topics';

const paymentRequest = avro.Type.forSchema(
  loadAvroSchema('process_payment_request') as avro.Schema,
);

const request = (customerId = 'customer-1') => ({
  eventId: randomUUID(),
  orderId: randomUUID(),
  customerId,
  amount: 1250,
  currency: 'EUR',
  occurredAt: Date.now(),
});

describe('createFrameWriter: Confluent-framed Avro values written into shared slabs', () => {
  it('when thousands of values fill several slabs, then each stays the exact Confluent encoding of its payload', () => {
    const frame = createFrameWriter();
    const payloads = Array.from({ length: 3_000 }, () => request());
    const values = payloads.map((payload) => frame(42, paymentRequest, payload));
    values.forEach((value, i) => {
      const expected = Buffer.alloc(5 + paymentRequest.toBuffer(payloads[i]).length);
      expected.writeInt32BE(42, 1);
      paymentRequest.toBuffer(payloads[i]).copy(expected, 5);
      expect(value.equals(expected)).toBe(true);
      expect(paymentRequest.fromBuffer(readConfluentFrame(value)!.body)).toEqual(payloads[i]);
    });
    expect(new Set(values.map((value) => value.buffer)).size).toBeGreaterThan(1);
  });

  it('when a value is larger than a slab, then it is framed whole in a buffer of its own', () => {
    const frame = createFrameWriter();
    const small = frame(7, paymentRequest, request());
    const large = request('c'.repeat(100_000));
    const value = frame(7, paymentRequest, large);
    expect(readConfluentFrame(value)).toEqual({
      schemaId: 7,
      body: paymentRequest.toBuffer(large),
    });
    expect(readConfluentFrame(small)?.schemaId).toBe(7);
  });

  it('when a payload does not fit the schema, then it throws and the next value is intact', () => {
    const frame = createFrameWriter();
    expect(() => frame(7, paymentRequest, { ...request(), amount: 'a lot' })).toThrow();
    const payload = request();
    expect(
      paymentRequest.fromBuffer(readConfluentFrame(frame(7, paymentRequest, payload))!.body),
    ).toEqual(payload);
  });
});

describe('createEventEncoder: one registry look-up per batch, then each record at once', () => {
  // A stand-in for the registry client's getSchema: the integration tests run the relay
  // against a real registry; here the look-ups are counted and made to fail.
  function registryWith(getSchema: (id: number) => Promise<unknown>) {
    return { getSchema: jest.fn(getSchema) } as unknown as SchemaRegistry & {
      getSchema: jest.Mock;
    };
  }
  const ids = new Map<SagaTopic, number>([['process_payment_request', 11]]);

  it('when a batch is encoded, then the registry is asked once per topic and each value carries its id', async () => {
    const registry = registryWith(async () => paymentRequest);
    const encode = await createEventEncoder(registry, async () => ids).forTopics(
      Array.from({ length: 50 }, () => 'process_payment_request'),
    );
    const payload = request();
    const frame = readConfluentFrame(encode('process_payment_request', payload));
    expect(frame?.schemaId).toBe(11);
    expect(paymentRequest.fromBuffer(frame!.body)).toEqual(payload);
    expect(registry.getSchema).toHaveBeenCalledTimes(1);
  });

  it('when two batches are encoded one after the other, then the first batch keeps its values', async () => {
    const encoder = createEventEncoder(
      registryWith(async () => paymentRequest),
      async () => ids,
    );
    const first = await encoder.forTopics(['process_payment_request']);
    const payloads = Array.from({ length: 800 }, () => request());
    const kept = payloads.map((payload) => first('process_payment_request', payload));
    const second = await encoder.forTopics(['process_payment_request']);
    for (let i = 0; i < 800; i++) second('process_payment_request', request('another'));
    kept.forEach((value, i) =>
      expect(paymentRequest.fromBuffer(readConfluentFrame(value)!.body)).toEqual(payloads[i]),
    );
  });

  it('when a topic has no schema, then encoding it throws UnknownTopicError', async () => {
    const encode = await createEventEncoder(
      registryWith(async () => paymentRequest),
      async () => ids,
    ).forTopics(['no_such_topic']);
    expect(() => encode('no_such_topic', request())).toThrow(UnknownTopicError);
  });

  it('when a payload does not fit its schema, then encoding it throws PayloadSchemaMismatchError', async () => {
    const encode = await createEventEncoder(
      registryWith(async () => paymentRequest),
      async () => ids,
    ).forTopics(['process_payment_request']);
    expect(() => encode('process_payment_request', { ...request(), currency: 3 })).toThrow(
      PayloadSchemaMismatchError,
    );
  });

  it('when the registry cannot be reached, then the batch fails as a whole, not row by row', async () => {
    const outage = new Error('connect ECONNREFUSED');
    const encoder = createEventEncoder(
      registryWith(async () => {
        throw outage;
      }),
      async () => ids,
    );
    await expect(encoder.forTopics(['process_payment_request'])).rejects.toBe(outage);
  });
});
