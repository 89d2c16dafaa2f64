import type { Type } from 'avsc';

/** Most a consumed record may hold, whatever schema its writer registered. */
export interface AvroBounds {
  /** Array items and map entries in one record, all collections together. */
  maxItems: number;
  /** Bytes in one string or bytes value. */
  maxStringBytes: number;
  /** Nesting of records, arrays, maps and unions (recursive schemas). */
  maxDepth: number;
  /**
   * Values visited in one record, records and nulls included: ten record fields nested ten deep
   * are 10^10 values in no bytes at all, so bytes, items and depth alone do not bound a walk.
   */
  maxNodes: number;
}

/** The service's defaults (the CONSUMER_MAX_* settings), for tools that read records too. */
export const DEFAULT_AVRO_BOUNDS: AvroBounds = {
  maxItems: 10_000,
  maxStringBytes: 65_536,
  maxDepth: 32,
  maxNodes: 200_000,
};

export type BoundsVerdict =
  { ok: true } | { ok: false; kind: 'too-large' | 'malformed'; reason: string };

class Refusal extends Error {
  constructor(
    readonly kind: 'too-large' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

/** The parts of an avsc Type that the walks read (avsc types them as private). */
export interface AvroTypeView {
  typeName: string;
  fields?: { name: string; type: AvroTypeView }[];
  itemsType?: AvroTypeView;
  valuesType?: AvroTypeView;
  types?: AvroTypeView[];
  symbols?: string[];
  size?: number;
  underlyingType?: AvroTypeView;
}

/**
 * Walks an Avro binary body as its writer's schema describes it, allocating nothing: every
 * length and count is checked against the bounds before anything is read or skipped. Decoders,
 * avsc's included, trust a count, so a few bytes claiming 10^9 items of `null` keep them busy
 * or exhaust the heap; this walk refuses such a record first. Unknown writer fields are walked
 * the same way, so skipping them later is bounded too. Every value visited counts against
 * `maxNodes`: avsc's decode afterwards follows the same path, so it is bounded by the same count.
 */
export function checkAvroBounds(writer: Type, body: Buffer, bounds: AvroBounds): BoundsVerdict {
  let position = 0;
  let items = 0;
  let nodes = 0;

  const need = (bytes: number) => {
    if (bytes < 0 || position + bytes > body.length) {
      throw new Refusal('malformed', 'the value ends before its schema says it does');
    }
  };
  const readLong = (): number => {
    let value = 0;
    let factor = 1;
    for (;;) {
      need(1);
      const byte = body[position++] as number;
      value += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) break;
      factor *= 128;
      if (factor > 2 ** 63) throw new Refusal('malformed', 'a varint is longer than 10 bytes');
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2; // zig-zag
  };
  const readBlockCount = (what: string): number => {
    let count = readLong();
    if (count < 0) {
      count = -count;
      readLong(); // the block's size in bytes, which a reader may use to skip it
    }
    items += count;
    if (items > bounds.maxItems) {
      throw new Refusal('too-large', `${what} hold more than ${bounds.maxItems} items in all`);
    }
    return count;
  };
  const skipLengthPrefixed = (what: string) => {
    const length = readLong();
    if (length > bounds.maxStringBytes) {
      throw new Refusal(
        'too-large',
        `a ${what} of ${length} bytes exceeds ${bounds.maxStringBytes}`,
      );
    }
    need(length);
    position += length;
  };

  const walk = (type: AvroTypeView, depth: number): void => {
    // Checked as the walk goes, so that no schema can make it long (avsc then visits no more).
    if (++nodes > bounds.maxNodes) {
      throw new Refusal('too-large', `the value holds more than ${bounds.maxNodes} values in all`);
    }
    if (depth > bounds.maxDepth) {
      throw new Refusal('too-large', `values nest deeper than ${bounds.maxDepth} levels`);
    }
    const name = type.typeName;
    if (name.startsWith('logical:')) return walk(type.underlyingType as AvroTypeView, depth);
    if (name.startsWith('union:')) {
      const branches = type.types as AvroTypeView[];
      const index = readLong();
      const branch = branches[index];
      if (!branch) throw new Refusal('malformed', `union branch ${index} does not exist`);
      return walk(branch, depth + 1);
    }
    switch (name) {
      case 'null':
        return;
      case 'boolean':
        need(1);
        position += 1;
        return;
      case 'int':
      case 'long':
        readLong();
        return;
      case 'float':
        need(4);
        position += 4;
        return;
      case 'double':
        need(8);
        position += 8;
        return;
      case 'string':
      case 'bytes':
        return skipLengthPrefixed(name);
      case 'fixed':
        need(type.size as number);
        position += type.size as number;
        return;
      case 'enum': {
        const index = readLong();
        if (index < 0 || index >= (type.symbols as string[]).length) {
          throw new Refusal('malformed', `enum index ${index} does not exist`);
        }
        return;
      }
      case 'array':
        for (let count = readBlockCount('arrays'); count > 0; count = readBlockCount('arrays')) {
          for (let i = 0; i < count; i++) walk(type.itemsType as AvroTypeView, depth + 1);
        }
        return;
      case 'map':
        for (let count = readBlockCount('maps'); count > 0; count = readBlockCount('maps')) {
          for (let i = 0; i < count; i++) {
            skipLengthPrefixed('map key');
            walk(type.valuesType as AvroTypeView, depth + 1);
          }
        }
        return;
      case 'record':
      case 'error':
        for (const field of type.fields ?? []) walk(field.type, depth + 1);
        return;
      default:
        throw new Refusal('malformed', `the schema has a type this reader cannot walk: ${name}`);
    }
  };

  try {
    walk(writer as unknown as AvroTypeView, 0);
    if (position !== body.length) {
      throw new Refusal('malformed', `${body.length - position} bytes follow the value`);
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, kind: error.kind, reason: error.message };
    throw error;
  }
}
