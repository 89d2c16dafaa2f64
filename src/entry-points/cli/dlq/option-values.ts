import { UsageError } from './cli-errors';
import type { Selector } from './selectors';

/**
 * The parsers commander calls for each option's value (`.option(flags, help, parser)`); a bad
 * value is a UsageError naming the option, which passes through commander untouched. Then the
 * rules that look at several options, which the actions apply.
 */

/** A whole number of at least `least` (1: a positive whole number). */
export function wholeNumber(flag: string, least = 0) {
  const what = least > 0 ? 'a positive whole number' : 'a whole number';
  return (text: string): number => {
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < least) {
      throw new UsageError(`${flag} must be ${what} (got "${text}")`);
    }
    return value;
  };
}

/** A repeatable option: each value joins the list. */
export function appended(flag: string) {
  return (text: string, previous: string[] | undefined): string[] => {
    if (text.trim() === '') throw new UsageError(`${flag} needs a value`);
    return [...(previous ?? []), text];
  };
}

/** Why an operator acts, for the audit: one printable line of at most 500 characters. */
export function reasonText(text: string): string {
  const reason = text.trim();
  if (!reason) throw new UsageError('--reason needs a value');
  if (/[\p{Cc}\p{Cf}]/u.test(reason)) throw new UsageError('--reason must be printable text');
  return reason.slice(0, 500);
}

export function nonEmptyTopic(command: string) {
  return (text: string): string => {
    if (text === '') throw new UsageError(`${command} needs a <topic>`);
    return text;
  };
}

/** The selector options as commander stores them, already parsed. */
export interface SelectorValues {
  offset?: { from?: bigint; to?: bigint };
  partition?: number;
  errorClass?: string[];
  orderId?: string[];
}

export function selectorOf(values: SelectorValues): Selector {
  const selector: Selector = {};
  if (values.offset) selector.offsets = values.offset;
  if (values.partition !== undefined) selector.partition = values.partition;
  if (values.errorClass) selector.errorClasses = values.errorClass;
  if (values.orderId) selector.orderIds = values.orderId;
  return selector;
}

/**
 * Replaying a whole topic re-sends every record in it to the service: a decision, never the
 * effect of a forgotten selector. So replay takes a selector, or --all, not both.
 */
export function checkAll(selector: Selector, all: boolean): boolean {
  const selected = Object.keys(selector).length > 0;
  if (all && selected) throw new UsageError('--all selects every record: give it or selectors');
  if (!all && !selected) {
    throw new UsageError(
      'replay needs a selector (--offset, --partition, --error-class, --order-id) or --all',
    );
  }
  return all;
}

/** A change is audited with its reason: required, except for a dry run, which changes nothing. */
export function requiredReason(
  command: 'replay' | 'skip',
  { reason, dryRun }: { reason?: string; dryRun?: boolean },
): { reason?: string } {
  if (reason === undefined && !dryRun) {
    throw new UsageError(
      `${command} needs --reason "<why>": it is written to the operators' audit`,
    );
  }
  return reason === undefined ? {} : { reason };
}
