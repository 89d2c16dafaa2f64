import { z } from 'zod';

/**
 * The rules every string from a client passes, in one place. NUL cannot be stored in a Postgres
 * text column, and a lone surrogate is not Unicode text at all (it cannot be encoded as UTF-8):
 * both are refused as the client's mistake, never left to fail as a 500 in the database.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Spaces, controls, format characters (zero-width space, bidi marks) and other invisibles. */
const INVISIBLE_OR_CONTROL = /[\p{Z}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** Any text a client sends (names, reasons, query values). */
export function safeText() {
  return z
    .string()
    .refine((text) => !text.includes('\u0000'), 'must not contain NUL (U+0000)')
    .refine((text) => !LONE_SURROGATE.test(text), 'must not contain unpaired surrogates');
}

/**
 * An identifier (customer, product): NFC-normalised, so that the same id typed on two systems
 * is one id, then 1 to `max` characters with no spaces, control or invisible characters, so an
 * id cannot look like another one.
 */
export function identifier(max = 64) {
  return safeText()
    .transform((text) => text.normalize('NFC'))
    .pipe(
      z
        .string()
        .min(1)
        .max(max)
        .refine(
          (id) => !INVISIBLE_OR_CONTROL.test(id),
          'must not contain spaces, control or invisible characters',
        ),
    );
}

/** The same rules outside zod: the normalised id, or undefined when it is not usable. */
export function normaliseIdentifier(text: string, max = 64): string | undefined {
  const result = identifier(max).safeParse(text);
  return result.success ? result.data : undefined;
}
