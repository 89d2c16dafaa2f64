/**
 * Writer schemas that are cheap to write and expensive to walk, built to a size: records `width`
 * fields wide nested `depth` deep, each level one named type referenced by name (so the schema
 * stays a few kilobytes while a value stands for width^depth leaves), with leaves and wrappers of
 * every kind that costs no byte or one. Tests use them to cover the class, not one example.
 */
export type BombLeaf = 'null' | 'empty-record' | 'empty-fixed' | 'enum';
export type BombShape =
  /** Records of records all the way down: a body of 0 bytes (1 per enum leaf). */
  | 'records'
  /** An array of the fan-out record: a count and a terminator stand for count × width^depth. */
  | 'array'
  /** A map of the fan-out record: likewise, with 1-byte empty keys. */
  | 'map'
  /** A union whose second branch is the fan-out record: one byte chooses it. */
  | 'union';

export interface BombSpec {
  width: number;
  depth: number;
  leaf: BombLeaf;
  shape: BombShape;
  /** Namespace, so that several bombs can be registered side by side. */
  namespace?: string;
}

/** The fan-out record `L0`: `width` fields of `L1`, … down to `depth` levels of leaves. */
export function fanOutRecord({ width, depth, leaf }: BombSpec): Record<string, unknown> {
  const leafType = (first: boolean): unknown => {
    if (leaf === 'null') return 'null';
    if (!first) return 'Leaf';
    if (leaf === 'empty-record') return { type: 'record', name: 'Leaf', fields: [] };
    if (leaf === 'empty-fixed') return { type: 'fixed', name: 'Leaf', size: 0 };
    return { type: 'enum', name: 'Leaf', symbols: ['ONLY'] };
  };
  const level = (k: number): Record<string, unknown> => ({
    type: 'record',
    name: `L${k}`,
    fields: Array.from({ length: width }, (_, i) => ({
      name: `f${i}`,
      type: k + 1 === depth ? leafType(i === 0) : i === 0 ? level(k + 1) : `L${k + 1}`,
    })),
  });
  return level(0);
}

/** The bomb as a type to put in a field (or to write on its own). */
export function bombType(spec: BombSpec): unknown {
  const record = fanOutRecord(spec);
  switch (spec.shape) {
    case 'records':
      return record;
    case 'array':
      return { type: 'array', items: record };
    case 'map':
      return { type: 'map', values: record };
    case 'union':
      return ['null', record];
  }
}

/** A standalone writer schema: a record whose one field is the bomb. */
export function bombSchema(spec: BombSpec): Record<string, unknown> {
  return {
    type: 'record',
    name: 'Bomb',
    namespace: spec.namespace ?? 'bomb',
    fields: [{ name: 'payload', type: bombType(spec) }],
  };
}

/**
 * The Avro body of bombSchema(spec)'s smallest "loaded" value: `items` entries for collections,
 * branch 1 for a union, and one byte per enum leaf (so enums only when width^depth is small).
 */
export function bombBody(spec: BombSpec, items = 1_000): Buffer {
  const leaves = spec.width ** spec.depth;
  const record = Buffer.alloc(spec.leaf === 'enum' ? leaves : 0); // enum index 0 is byte 0
  switch (spec.shape) {
    case 'records':
      return record;
    case 'union':
      return Buffer.concat([zigzag(1), record]);
    case 'array':
      return Buffer.concat([
        zigzag(items),
        ...Array.from({ length: items }, () => record),
        zigzag(0),
      ]);
    case 'map': {
      const entry = Buffer.concat([zigzag(0), record]); // an empty key, then the value
      return Buffer.concat([
        zigzag(items),
        ...Array.from({ length: items }, () => entry),
        zigzag(0),
      ]);
    }
  }
}

/** Avro's long encoding: zig-zag, then base-128 varint. */
export function zigzag(value: number): Buffer {
  let rest = value >= 0 ? value * 2 : -value * 2 - 1;
  const bytes: number[] = [];
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * Every shape with every leaf that costs no byte, at one size. (An enum leaf costs a byte, so a
 * fan-out of enums is as long as its record: bounded by the record's size.)
 */
export function everyBomb(width: number, depth: number): BombSpec[] {
  const shapes: BombShape[] = ['records', 'array', 'map', 'union'];
  const leaves: BombLeaf[] = ['null', 'empty-record', 'empty-fixed'];
  return shapes.flatMap((shape) => leaves.map((leaf) => ({ width, depth, leaf, shape })));
}
