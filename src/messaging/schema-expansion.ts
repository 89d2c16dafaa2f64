import type { Type } from 'avsc';
import type { AvroTypeView } from './avro-bounds';

/** What one value of a type costs a walk and a writer: values visited, and its fewest bytes. */
interface Cost {
  nodes: number;
  minBytes: number;
}

const FIXED_BYTES: Record<string, number> = {
  null: 0,
  boolean: 1,
  int: 1,
  long: 1,
  float: 4,
  double: 8,
  string: 1,
  bytes: 1,
  enum: 1,
};

/**
 * How many values one byte of a record of this writer schema can stand for, at worst: the
 * largest, over the schema's types, of (values a walk visits in one value of it) / (fewest bytes
 * that value can be written in, at least 1). Records cost their fields' bytes and nothing of
 * their own, and null, empty records and `fixed` of size 0 cost no byte at all, so records of
 * records of nulls are many values in no bytes: ten fields nested ten deep are 10^10 values in
 * a 0-byte body. Unions count their largest branch against their cheapest; an array or map counts
 * one item (how many items a record holds is bounded as it is read, by CONSUMER_MAX_ITEMS and
 * CONSUMER_MAX_NODES). A type met again inside itself (a recursive schema) costs 1 there: the
 * union index or item count that leads to it is paid for in bytes.
 *
 * Linear in the schema's distinct types (costs are kept per type), so a small schema cannot make
 * this long either. A schema nested too deep for the stack is Infinity: refused.
 */
export function schemaExpansion(writer: Type): number {
  const costs = new Map<AvroTypeView, Cost>();
  const entered = new Set<AvroTypeView>();
  let worst = 0;

  const costOf = (type: AvroTypeView): Cost => {
    const known = costs.get(type);
    if (known) return known;
    if (entered.has(type)) return { nodes: 1, minBytes: Infinity };
    entered.add(type);
    const cost = ownCost(type);
    entered.delete(type);
    costs.set(type, cost);
    worst = Math.max(worst, cost.nodes / Math.max(1, cost.minBytes));
    return cost;
  };

  const ownCost = (type: AvroTypeView): Cost => {
    const name = type.typeName;
    if (name.startsWith('logical:')) return costOf(type.underlyingType as AvroTypeView);
    if (name.startsWith('union:')) {
      const branches = (type.types ?? []).map(costOf);
      return {
        nodes: 1 + Math.max(0, ...branches.map((branch) => branch.nodes)),
        minBytes: 1 + Math.min(...branches.map((branch) => branch.minBytes)),
      };
    }
    switch (name) {
      case 'record':
      case 'error': {
        const fields = (type.fields ?? []).map((field) => costOf(field.type));
        return {
          nodes: 1 + sum(fields.map((field) => field.nodes)),
          minBytes: sum(fields.map((field) => field.minBytes)),
        };
      }
      case 'array':
        return { nodes: 1 + costOf(type.itemsType as AvroTypeView).nodes, minBytes: 1 };
      case 'map':
        return { nodes: 1 + costOf(type.valuesType as AvroTypeView).nodes, minBytes: 1 };
      case 'fixed':
        return { nodes: 1, minBytes: type.size as number };
      default:
        // A type the bounded walk does not know is refused there; here it costs like a byte.
        return { nodes: 1, minBytes: FIXED_BYTES[name] ?? 1 };
    }
  };

  try {
    costOf(writer as unknown as AvroTypeView);
    return worst;
  } catch (error) {
    if (error instanceof RangeError) return Infinity; // the call stack: nested beyond reason
    throw error;
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
