import type { Request } from 'express';
import { ValidationError } from '../../shared/app-error';

const REASON_LIMIT = 500;

/** The required `reason` (or `note`) of an operator action: trimmed, 1 to 500 characters. */
export function requiredText(req: Request, field: 'reason' | 'note'): string {
  const value: unknown = (req.body as Record<string, unknown> | undefined)?.[field];
  const text = typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
  if (text.length === 0 || text.length > REASON_LIMIT) {
    throw new ValidationError(`A ${field} is required`, [
      { path: field, message: `is required: 1 to ${REASON_LIMIT} characters` },
    ]);
  }
  return text;
}

/** An optional integer body field, e.g. the count a bulk action was confirmed for. */
export function integerField(req: Request, field: string): number | undefined {
  const value: unknown = (req.body as Record<string, unknown> | undefined)?.[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ValidationError(`${field} must be a whole number`, [
      { path: field, message: 'must be a whole number' },
    ]);
  }
  return value;
}

/** A query parameter as a whole number within bounds, or the default. */
export function queryInteger(
  req: Request,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback: number },
): number {
  const raw = req.query[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ValidationError(`${name} must be a whole number from ${min} to ${max}`, [
      { path: name, message: `must be from ${min} to ${max}` },
    ]);
  }
  return value;
}

/** A query parameter as text, or undefined when absent or empty. */
export function queryText(req: Request, name: string, maxLength = 200): string | undefined {
  const raw = req.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > maxLength) {
    throw new ValidationError(`${name} must be one text of at most ${maxLength} characters`, [
      { path: name, message: `at most ${maxLength} characters` },
    ]);
  }
  return raw;
}
