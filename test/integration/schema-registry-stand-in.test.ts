import avro from 'avsc';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  startSchemaRegistryStandIn,
  type SchemaRegistryStandIn,
} from '../support/schema-registry-stand-in';

const orderV1 = {
  type: 'record' as const,
  name: 'OrderPlaced',
  namespace: 'com.example.orders',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'quantity', type: 'int' },
  ],
};
const withOptionalNote = {
  ...orderV1,
  fields: [...orderV1.fields, { name: 'note', type: ['null', 'string'], default: null }],
};
const withRequiredNote = {
  ...orderV1,
  fields: [...orderV1.fields, { name: 'note', type: 'string' }],
};
const withoutQuantity = { ...orderV1, fields: [orderV1.fields[0]] };

const avroSchema = (schema: object): { type: SchemaType.AVRO; schema: string } => ({
  type: SchemaType.AVRO,
  schema: JSON.stringify(schema),
});

let standIn: SchemaRegistryStandIn;
let registry: SchemaRegistry;
let subjectCounter = 0;
const newSubject = () => `orders-value-${++subjectCounter}`;

beforeAll(async () => {
  standIn = await startSchemaRegistryStandIn();
  registry = new SchemaRegistry({ host: standIn.url });
});

afterAll(async () => {
  await standIn.stop();
});

async function rawRequest(method: string, path: string, body?: unknown) {
  const response = await fetch(`${standIn.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Registers v1 under `level`, then tries `next`; resolves to 'accepted' or 'refused'. */
async function evolve(level: COMPATIBILITY, next: object): Promise<'accepted' | 'refused'> {
  const subject = newSubject();
  await registry.register(avroSchema(orderV1), { subject, compatibility: level });
  try {
    await registry.register(avroSchema(next), { subject, compatibility: level });
    return 'accepted';
  } catch (error) {
    expect(error).toMatchObject({ status: 409 });
    return 'refused';
  }
}

describe('schema registry stand-in, through @kafkajs/confluent-schema-registry', () => {
  it('when a record is encoded, then it uses Confluent framing and decodes back', async () => {
    const { id } = await registry.register(avroSchema(orderV1), { subject: newSubject() });
    const order = { orderId: 'o-1', quantity: 3 };

    const encoded = await registry.encode(id, order);

    expect(encoded.readUInt8(0)).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(encoded.subarray(5)).toEqual(
      avro.Type.forSchema(orderV1 as avro.Schema).toBuffer(order),
    );
    // A fresh client has no cache, so this really fetches the schema by id.
    const decoded = await new SchemaRegistry({ host: standIn.url }).decode(encoded);
    expect(decoded).toEqual(order);
  });

  it('when the same schema is registered again, then the existing id is returned', async () => {
    const subject = newSubject();
    const first = await registry.register(avroSchema(orderV1), { subject });
    const reformatted = { ...avroSchema(orderV1), schema: JSON.stringify(orderV1, null, 2) };

    const again = await registry.register(reformatted, { subject });
    const elsewhere = await registry.register(avroSchema(orderV1), { subject: newSubject() });

    expect(again.id).toBe(first.id);
    expect(elsewhere.id).toBe(first.id); // ids are global, as in Confluent
    expect(await registry.getLatestSchemaId(subject)).toBe(first.id);
    expect(await registry.getRegistryIdBySchema(subject, avroSchema(orderV1))).toBe(first.id);
    expect((await rawRequest('GET', `/subjects/${subject}/versions`)).body).toEqual([1]);
  });

  it('when data written with v1 is read with a v2 reader schema, then the default fills in', async () => {
    const subject = newSubject();
    const { id } = await registry.register(avroSchema(orderV1), { subject });
    await registry.register(avroSchema(withOptionalNote), { subject });
    const encoded = await registry.encode(id, { orderId: 'o-2', quantity: 1 });

    const decoded = await registry.decode(encoded, {
      [SchemaType.AVRO]: { readerSchema: withOptionalNote },
    });

    expect(decoded).toEqual({ orderId: 'o-2', quantity: 1, note: null });
  });

  describe('compatibility, as Confluent decides it', () => {
    it('when BACKWARD, then adding an optional field with a default is accepted', async () => {
      await expect(evolve(COMPATIBILITY.BACKWARD, withOptionalNote)).resolves.toBe('accepted');
    });

    it('when BACKWARD, then adding a field without a default is refused', async () => {
      await expect(evolve(COMPATIBILITY.BACKWARD, withRequiredNote)).resolves.toBe('refused');
    });

    it('when BACKWARD, then removing a field without a default is accepted', async () => {
      // New readers ignore the extra field in old data; only old readers would break.
      await expect(evolve(COMPATIBILITY.BACKWARD, withoutQuantity)).resolves.toBe('accepted');
    });

    it('when FORWARD, then adding an optional field is accepted and removing a required one refused', async () => {
      await expect(evolve(COMPATIBILITY.FORWARD, withOptionalNote)).resolves.toBe('accepted');
      await expect(evolve(COMPATIBILITY.FORWARD, withoutQuantity)).resolves.toBe('refused');
    });

    it('when FULL, then only the optional-field change is accepted', async () => {
      await expect(evolve(COMPATIBILITY.FULL, withOptionalNote)).resolves.toBe('accepted');
      await expect(evolve(COMPATIBILITY.FULL, withoutQuantity)).resolves.toBe('refused');
      await expect(evolve(COMPATIBILITY.FULL, withRequiredNote)).resolves.toBe('refused');
    });

    it('when FULL_TRANSITIVE, then a namespace-only change is accepted: records match by unqualified name', async () => {
      const renamed = { ...withOptionalNote, namespace: 'com.othertea.generated' };
      await expect(evolve(COMPATIBILITY.FULL_TRANSITIVE, renamed)).resolves.toBe('accepted');
    });

    it('when FULL_TRANSITIVE, then another record name is refused even with the same fields', async () => {
      const another = { ...orderV1, name: 'OrderShipped' };
      await expect(evolve(COMPATIBILITY.FULL_TRANSITIVE, another)).resolves.toBe('refused');
    });

    it('when NONE, then any valid change is accepted', async () => {
      await expect(evolve(COMPATIBILITY.NONE, withRequiredNote)).resolves.toBe('accepted');
    });

    it('when BACKWARD_TRANSITIVE, then a change compatible only with the latest version is refused', async () => {
      // v3 drops the default of `note`: it can read v2 data (which has `note`), not v1 data.
      const v3 = {
        ...orderV1,
        fields: [...orderV1.fields, { name: 'note', type: ['null', 'string'] }],
      };
      for (const [level, expected] of [
        [COMPATIBILITY.BACKWARD, 'accepted'],
        [COMPATIBILITY.BACKWARD_TRANSITIVE, 'refused'],
      ] as const) {
        const subject = newSubject();
        await registry.register(avroSchema(orderV1), { subject, compatibility: level });
        await registry.register(avroSchema(withOptionalNote), { subject, compatibility: level });
        const outcome = registry.register(avroSchema(v3), { subject, compatibility: level });
        if (expected === 'accepted') await expect(outcome).resolves.toHaveProperty('id');
        else await expect(outcome).rejects.toMatchObject({ status: 409 });
      }
    });

    it('when the compatibility endpoint is asked, then it answers without registering', async () => {
      const subject = newSubject();
      await registry.register(avroSchema(orderV1), { subject });

      const path = `/compatibility/subjects/${subject}/versions/latest?verbose=true`;
      const refused = await rawRequest('POST', path, { schema: JSON.stringify(withRequiredNote) });
      const accepted = await rawRequest('POST', path, { schema: JSON.stringify(withOptionalNote) });

      expect(refused.body).toMatchObject({ is_compatible: false });
      expect((refused.body.messages as string[])[0]).toContain('note');
      expect(accepted.body).toEqual({ is_compatible: true, messages: [] });
      expect((await rawRequest('GET', `/subjects/${subject}/versions`)).body).toEqual([1]);
    });
  });

  describe('REST details the client relies on', () => {
    it('when a subject has no config of its own, then GET /config/{subject} is 40408 until the client sets it', async () => {
      const subject = newSubject();
      expect(await rawRequest('GET', `/config/${subject}`)).toMatchObject({
        status: 404,
        body: { error_code: 40408 },
      });
      expect((await rawRequest('GET', `/config/${subject}?defaultToGlobal=true`)).body).toEqual({
        compatibilityLevel: 'BACKWARD',
      });

      await registry.register(avroSchema(orderV1), { subject, compatibility: COMPATIBILITY.FULL });

      expect((await rawRequest('GET', `/config/${subject}`)).body).toEqual({
        compatibilityLevel: 'FULL',
      });
    });

    it('when things are missing or invalid, then Confluent error codes come back', async () => {
      const subject = newSubject();
      await registry.register(avroSchema(orderV1), { subject });
      const invalid = {
        schema: '{"type":"record","name":"X","fields":[{"name":"f","type":"str"}]}',
      };

      const cases = [
        [await rawRequest('GET', '/subjects/no-such-subject/versions'), 404, 40401],
        [await rawRequest('GET', `/subjects/${subject}/versions/7`), 404, 40402],
        [await rawRequest('GET', '/schemas/ids/9999'), 404, 40403],
        [
          await rawRequest('POST', `/subjects/${subject}`, avroSchema(withOptionalNote)),
          404,
          40403,
        ],
        [await rawRequest('POST', `/subjects/${subject}/versions`, invalid), 422, 42201],
        [await rawRequest('PUT', '/config', { compatibility: 'SIDEWAYS' }), 422, 42203],
      ] as const;

      for (const [response, status, errorCode] of cases) {
        expect(response.status).toBe(status);
        expect(response.body).toMatchObject({ error_code: errorCode, message: expect.any(String) });
      }
    });

    it('when the latest version is fetched, then subject, version, id and schema are returned', async () => {
      const subject = newSubject();
      await registry.register(avroSchema(orderV1), { subject });
      const { id } = await registry.register(avroSchema(withOptionalNote), { subject });

      const latest = await rawRequest('GET', `/subjects/${subject}/versions/latest`);

      expect(latest.body).toEqual({
        subject,
        version: 2,
        id,
        schema: JSON.stringify(withOptionalNote),
      });
      expect(await registry.getRegistryId(subject, 2)).toBe(id);
    });
  });
});
