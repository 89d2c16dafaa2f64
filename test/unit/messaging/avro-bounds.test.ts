import avro from 'avsc';
import { checkAvroBounds, type AvroBounds } from '../../../src/messaging/avro-bounds';
import { zigzag as long } from '../../support/avro-bombs';

const bounds: AvroBounds = { maxItems: 100, maxStringBytes: 50, maxDepth: 8, maxNodes: 1_000 };

const everything = avro.Type.forSchema({
  type: 'record',
  name: 'x.Everything',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'maybe', type: ['null', 'string'] },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'ratio', type: 'double' },
    { name: 'small', type: 'float' },
    { name: 'flag', type: 'boolean' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
    { name: 'tags', type: { type: 'map', values: 'int' } },
    { name: 'blob', type: 'bytes' },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: { type: 'record', name: 'Line', fields: [{ name: 'n', type: 'int' }] },
      },
    },
  ],
});
const aValue = {
  id: 'o-1',
  maybe: 'yes',
  at: 1_700_000_000_000,
  ratio: 0.5,
  small: 1.5,
  flag: true,
  kind: 'B',
  hash: Buffer.from('abcd'),
  tags: { a: 1, b: 2 },
  blob: Buffer.from([1, 2, 3]),
  lines: [{ n: 1 }, { n: 2 }],
};

describe('Avro bounds, checked on the bytes before decoding', () => {
  test('when a record of every type is within the bounds, then it passes', () => {
    expect(checkAvroBounds(everything, everything.toBuffer(aValue), bounds)).toEqual({ ok: true });
  });

  test('when an array of nulls claims a billion items in a few bytes, then it is too large at once', () => {
    const nulls = avro.Type.forSchema({ type: 'array', items: 'null' });
    const bomb = Buffer.concat([long(1_000_000_000), long(0)]);

    expect(bomb.length).toBeLessThan(8);
    expect(checkAvroBounds(nulls, bomb, bounds)).toEqual({
      ok: false,
      kind: 'too-large',
      reason: 'arrays hold more than 100 items in all',
    });
  });

  test('when items are spread over blocks and collections, then they count together', () => {
    const pairs = avro.Type.forSchema({ type: 'array', items: { type: 'array', items: 'null' } });
    // 11 inner arrays of 10 items: 11 + 110 items.
    const inner = Buffer.concat([long(10), long(0)]);
    const bytes = Buffer.concat([long(11), ...Array.from({ length: 11 }, () => inner), long(0)]);

    expect(checkAvroBounds(pairs, bytes, bounds)).toMatchObject({ ok: false, kind: 'too-large' });
  });

  test('when a negative block count carries a byte size, then the items still count', () => {
    const ints = avro.Type.forSchema({ type: 'array', items: 'int' });
    const bytes = Buffer.concat([long(-200), long(200), Buffer.alloc(200, 2), long(0)]);

    expect(checkAvroBounds(ints, bytes, bounds)).toMatchObject({ ok: false, kind: 'too-large' });
  });

  test('when a string is longer than allowed, then it is too large, before its bytes are read', () => {
    const text = avro.Type.forSchema('string');

    expect(checkAvroBounds(text, long(1_000_000), bounds)).toEqual({
      ok: false,
      kind: 'too-large',
      reason: 'a string of 1000000 bytes exceeds 50',
    });
  });

  test('when a recursive schema nests deeper than allowed, then it is too large', () => {
    const list = avro.Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [{ name: 'next', type: ['null', 'Node'] }],
    });
    // 20 levels of "branch 1 (Node)", then null.
    const bytes = Buffer.concat([...Array.from({ length: 20 }, () => long(1)), long(0)]);

    expect(checkAvroBounds(list, bytes, bounds)).toMatchObject({ ok: false, kind: 'too-large' });
  });

  test.each([
    ['ends early', (b: Buffer) => b.subarray(0, b.length - 2)],
    ['has bytes after the value', (b: Buffer) => Buffer.concat([b, Buffer.from([0])])],
  ])('when the body %s, then it is malformed', (_, edit) => {
    const verdict = checkAvroBounds(everything, edit(everything.toBuffer(aValue)), bounds);
    expect(verdict).toMatchObject({ ok: false, kind: 'malformed' });
  });

  test('when a union index or enum index does not exist, then it is malformed', () => {
    const union = avro.Type.forSchema(['null', 'string']);
    const kind = avro.Type.forSchema({ type: 'enum', name: 'K', symbols: ['A'] });
    expect(checkAvroBounds(union, long(5), bounds)).toMatchObject({ ok: false, kind: 'malformed' });
    expect(checkAvroBounds(kind, long(3), bounds)).toMatchObject({ ok: false, kind: 'malformed' });
  });
});
