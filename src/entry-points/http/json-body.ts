import express from 'express';
import typeis from 'type-is';
import { z } from 'zod';
import { sendProblem } from './problem-details';
import type { Step } from './request-steps';

/** The most bytes valid JSON spends on one UTF-16 unit of a string: `\uXXXX`. */
const ESCAPED_UNIT_BYTES = 6;
/** Room for whitespace and indentation around the compact form. */
const FORMATTING_ALLOWANCE = 1.25;
/** The longest JSON number (e.g. `-1.2345678901234567e+308`), for numbers with no bound. */
const LONGEST_NUMBER = 24;

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  maxItems?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

/**
 * The size of the largest body `schema` accepts, from its bounds: every string at its longest
 * with every unit escaped, every array full, then a quarter more for whitespace. A schema with
 * an unbounded string or array cannot size a body, so it throws (at start-up).
 */
export function largestBodyBytes(schema: z.ZodType): number {
  const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return Math.ceil(compactBytes(json, '') * FORMATTING_ALLOWANCE);
}

function compactBytes(schema: JsonSchema, path: string): number {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return Math.max(...alternatives.map((s) => compactBytes(s, path)));
  if (schema.enum) return Math.max(...schema.enum.map((v) => Buffer.byteLength(JSON.stringify(v))));
  switch (schema.type) {
    case 'object': {
      const entries = Object.entries(schema.properties ?? {});
      const members = entries.map(
        ([key, value]) =>
          Buffer.byteLength(JSON.stringify(key)) + 1 + compactBytes(value, `${path}.${key}`),
      );
      return 2 + members.reduce((sum, bytes) => sum + bytes, 0) + Math.max(0, entries.length - 1);
    }
    case 'array':
      if (schema.maxItems === undefined || !schema.items) throw unbounded(path, 'array');
      return 2 + schema.maxItems * (compactBytes(schema.items, `${path}[]`) + 1);
    case 'string':
      if (schema.maxLength === undefined) throw unbounded(path, 'string');
      return 2 + schema.maxLength * ESCAPED_UNIT_BYTES;
    case 'integer':
    case 'number': {
      const { minimum, maximum } = schema;
      if (minimum === undefined || maximum === undefined) return LONGEST_NUMBER;
      return Math.max(String(minimum).length, String(maximum).length);
    }
    case 'boolean':
      return 5;
    default:
      return 4; // null
  }
}

const unbounded = (path: string, kind: string) =>
  new Error(`${path || 'the body'} is an ${kind} without a maximum: no body limit can be derived`);

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * The JSON body of one route, read after authentication and the rate limit. `limitBytes` bounds
 * the body as parsed, that is after inflating a gzip or deflate body: body-parser counts the
 * inflated bytes and stops inflating at the limit (413), so a small compressed bomb costs no
 * more than `limitBytes` of work.
 */
export function jsonBody(limitBytes: number): Step[] {
  const requireJson: Step = (req, res, next) => {
    // Any non-empty body must be JSON; an empty one is left for validation to name.
    const hasContent =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
    if (hasContent && !typeis(req, JSON_TYPES)) {
      return sendProblem(res, 415, 'unsupported-media-type', 'Send the body as application/json');
    }
    next();
  };
  return [requireJson, express.json({ limit: limitBytes, type: JSON_TYPES })];
}
