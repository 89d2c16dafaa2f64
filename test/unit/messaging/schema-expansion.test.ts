import avro from 'avsc';
import { checkAvroBounds, DEFAULT_AVRO_BOUNDS } from '../../../src/messaging/avro-bounds';
import { loadAvroSchema } from '../../../src/messaging/avro-schemas';
import { schemaExpansion } from '../../../src/messaging/schema-expansion';
import { ALL_TOPICS } from '../../../src/messaging/topics';
import {
  bombBody,
  bombSchema,
  everyBomb,
  fanOutRecord,
  type BombSpec,
} from '../../support/avro-bombs';

const MAX_EXPANSION = 1_000;
const bounds = DEFAULT_AVRO_BOUNDS;

/** Runs `work` and says how long it took, so a test can hold it to a bound. */
function timed<T>(work: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = work();
  return { result, ms: performance.now() - started };
}

const SIZES: [number, number][] = [
  [10, 10], // the review's example: a ~3 KB schema, 10^10 values in no bytes
  [2, 31], // narrow and deep, under the depth bound
  [100, 5], // wide and shallow
  [4, 6], // 4,096 leaves: small, but an array of them is millions
];
const BOMBS: BombSpec[] = SIZES.flatMap(([width, depth]) => everyBomb(width, depth));
const label = (spec: BombSpec) => `${spec.shape} of ${spec.width}^${spec.depth} ${spec.leaf}`;

/** Values in the loaded record bombBody writes (1,000 items for collections). */
function valuesIn({ width, depth, shape }: BombSpec): number {
  const record = (width ** (depth + 1) - 1) / (width - 1);
  return shape === 'array' || shape === 'map' ? 1_000 * record : record;
}
/** Those whose record holds more values than the walk's budget: all but 4^6 as one record. */
const OVER_BUDGET = BOMBS.filter((spec) => valuesIn(spec) > bounds.maxNodes);

describe('fan-out bombs: schemas cheap to write and expensive to walk', () => {
  test.each(BOMBS.map((spec) => [label(spec), spec] as const))(
    'when the writer schema is %s, then its expansion is over the bound, worked out at once',
    (_label, spec) => {
      const type = avro.Type.forSchema(bombSchema(spec) as avro.Schema);
      const { result: expansion, ms } = timed(() => schemaExpansion(type));

      expect(expansion).toBeGreaterThan(MAX_EXPANSION);
      expect(ms).toBeLessThan(250);
    },
  );

  test.each(OVER_BUDGET.map((spec) => [label(spec), spec] as const))(
    'when a tiny record of %s is walked, then the node budget refuses it at once, whatever the schema check said',
    (_label, spec) => {
      const type = avro.Type.forSchema(bombSchema(spec) as avro.Schema);
      const body = bombBody(spec);

      const { result, ms } = timed(() => checkAvroBounds(type, body, bounds));

      expect(body.length).toBeLessThan(2_100);
      expect(result).toMatchObject({ ok: false, kind: 'too-large' });
      expect(ms).toBeLessThan(500);
    },
  );

  test('when the schema is the review example, then it is a few kilobytes and a 0-byte record of it is refused', () => {
    const spec: BombSpec = { width: 10, depth: 10, leaf: 'null', shape: 'records' };
    const text = JSON.stringify(bombSchema(spec));
    const type = avro.Type.forSchema(JSON.parse(text) as avro.Schema);

    expect(text.length).toBeLessThan(4_000);
    expect(checkAvroBounds(type, Buffer.alloc(0), bounds)).toEqual({
      ok: false,
      kind: 'too-large',
      reason: `the value holds more than ${bounds.maxNodes} values in all`,
    });
  });
});

describe('schemas that are not bombs pass', () => {
  test.each(ALL_TOPICS.map((topic) => [topic]))(
    'when the writer schema is the contract schema of %s, then its expansion is small',
    (topic) => {
      const type = avro.Type.forSchema(loadAvroSchema(topic) as avro.Schema);

      expect(schemaExpansion(type)).toBeLessThan(10);
    },
  );

  test('when records nest a little (3 fields, 3 deep, of nulls), then the schema passes and its records are walked', () => {
    const spec: BombSpec = { width: 3, depth: 3, leaf: 'null', shape: 'records' };
    const type = avro.Type.forSchema(fanOutRecord(spec) as avro.Schema);

    expect(schemaExpansion(type)).toBe(40);
    expect(checkAvroBounds(type, Buffer.alloc(0), bounds)).toEqual({ ok: true });
  });

  test('when the schema is recursive (a linked list), then its expansion is finite and small', () => {
    const list = avro.Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'int' },
        { name: 'next', type: ['null', 'Node'] },
      ],
    });

    expect(schemaExpansion(list)).toBeLessThan(5);
    const value = { value: 1, next: { value: 2, next: { value: 3, next: null } } };
    expect(checkAvroBounds(list, list.toBuffer(value), bounds)).toEqual({ ok: true });
  });

  test('when a fan-out of enum leaves is wide, then it is linear in its bytes and passes the schema check', () => {
    const spec: BombSpec = { width: 10, depth: 4, leaf: 'enum', shape: 'records' };
    const type = avro.Type.forSchema(bombSchema(spec) as avro.Schema);

    expect(schemaExpansion(type)).toBeLessThan(2);
    expect(checkAvroBounds(type, bombBody(spec), bounds)).toEqual({ ok: true });
  });
});
