import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import type { ConfigGroup } from './config-groups';

/**
 * The building blocks every part's keys are written with: the documentation registry, the
 * value shapes several parts share, and the type of a rule tying keys together.
 */

/**
 * What the schema says about a key beyond its type: docs/configuration.md and .env.example are
 * generated from it (`npm run docs:config`), and the secret flags decide what is never shown.
 */
export interface ConfigKeyDoc {
  group: ConfigGroup;
  /** The one text about the key: what it does, its unit, what 0 or unset means. */
  description: string;
  /**
   * `value`: the whole value is a secret, never echoed and scrubbed from every log line.
   * `url-password`: the password inside the URL is.
   */
  secret?: 'value' | 'url-password';
  /** The value .env.example gives a required key: one for local development. */
  example?: string;
}

export const keyDocumentation = z.registry<ConfigKeyDoc>();

/** The schema of one key, with what the docs and .env.example say about it. */
export function documented<Schema extends z.ZodType>(schema: Schema, doc: ConfigKeyDoc): Schema {
  keyDocumentation.add(schema as z.ZodType, doc);
  return schema;
}

/** What one part's keys parse to. */
export type SettingsOf<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>;

/**
 * A rule that ties keys together. It applies only where all its keys are read, so a command
 * reading some keys gets exactly the rules about those.
 */
export interface CrossKeyRule<Settings> {
  keys: readonly (keyof Settings & string)[];
  /** The key to name and the message, or undefined when the rule holds. */
  check(config: Settings): { key: keyof Settings & string; message: string } | undefined;
}

export function bothOrNeither<Settings>(
  first: keyof Settings & string,
  second: keyof Settings & string,
): CrossKeyRule<Settings> {
  return {
    keys: [first, second],
    check: (config) =>
      (config[first] === undefined) !== (config[second] === undefined)
        ? {
            key: config[first] === undefined ? first : second,
            message: `is required together with ${config[first] === undefined ? second : first}`,
          }
        : undefined,
  };
}

export const booleanFromString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** An unset key, or one set to the empty string (as `.env` files write it), is absent. */
export const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * A path the process can read now, so a missing certificate stops start-up, not the first send.
 * A new schema per key, as each key carries its own documentation.
 */
export const readableFile = () =>
  optional(
    z.string().refine((path) => {
      try {
        accessSync(path, constants.R_OK);
        return true;
      } catch {
        return false;
      }
    }, 'must name a readable file'),
  );

export const port = z.coerce.number().int().min(0).max(65535);

/** Loopback hosts, where plain http cannot be intercepted on the way. */
export const isLoopback = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
