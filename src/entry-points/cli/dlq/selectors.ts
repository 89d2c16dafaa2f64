import { UsageError } from './cli-errors';

/**
 * Which dead-lettered records a command acts on. Every given criterion must hold (AND); a list
 * (several --error-class or --order-id) matches any of its values (OR). No criterion: every record.
 */
export interface Selector {
  partition?: number;
  /** Inclusive bounds on the DLQ offset; either may be open. */
  offsets?: { from?: bigint; to?: bigint };
  errorClasses?: string[];
  /** The record key, which is the order id for every saga topic. */
  orderIds?: string[];
}

/** What a selector looks at in a record. */
export interface SelectableRecord {
  partition: number;
  offset: string;
  key: string | null;
  errorClass: string | undefined;
}

const OFFSET = /^\d+$/;

/** `A..B`, `A..`, `..B` or `A` (inclusive): the operator copies offsets from `show`. */
export function parseOffsetRange(text: string): { from?: bigint; to?: bigint } {
  const [fromText, toText, ...rest] = text.split('..');
  const valid = (part: string | undefined) =>
    part === '' || (part !== undefined && OFFSET.test(part));
  if (rest.length > 0 || !valid(fromText) || (toText !== undefined && !valid(toText))) {
    throw new UsageError(`--offset must be A..B, A.., ..B or A with whole numbers (got "${text}")`);
  }
  if (toText === undefined) {
    if (fromText === '') throw new UsageError('--offset needs a value, e.g. --offset 10..20');
    return { from: BigInt(fromText as string), to: BigInt(fromText as string) };
  }
  if (fromText === '' && toText === '') throw new UsageError('--offset ".." selects nothing');
  const range = {
    ...(fromText ? { from: BigInt(fromText) } : {}),
    ...(toText ? { to: BigInt(toText) } : {}),
  };
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    throw new UsageError(`--offset ${text} is empty: ${range.from} is after ${range.to}`);
  }
  return range;
}

export function matchesSelector(selector: Selector, record: SelectableRecord): boolean {
  if (selector.partition !== undefined && record.partition !== selector.partition) return false;
  if (selector.offsets) {
    const offset = BigInt(record.offset);
    const { from, to } = selector.offsets;
    if ((from !== undefined && offset < from) || (to !== undefined && offset > to)) return false;
  }
  if (selector.errorClasses && !selector.errorClasses.includes(record.errorClass ?? '')) {
    return false;
  }
  if (selector.orderIds && !selector.orderIds.includes(record.key ?? '')) return false;
  return true;
}

/** For messages: `--partition 1 --offset 3..5 --error-class unknown-order`. */
export function describeSelector(selector: Selector): string {
  const parts: string[] = [];
  if (selector.partition !== undefined) parts.push(`--partition ${selector.partition}`);
  if (selector.offsets) {
    const { from, to } = selector.offsets;
    parts.push(
      `--offset ${from === to && from !== undefined ? from : `${from ?? ''}..${to ?? ''}`}`,
    );
  }
  for (const errorClass of selector.errorClasses ?? []) parts.push(`--error-class ${errorClass}`);
  for (const orderId of selector.orderIds ?? []) parts.push(`--order-id ${orderId}`);
  return parts.length > 0 ? parts.join(' ') : 'all records';
}
