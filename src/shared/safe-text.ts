import { z } from 'zod';

/**
 * The rules every string from a client passes, in one place. NUL cannot be stored in a Postgres
 * text column, and a lone surrogate is not Unicode text at all (it cannot be encoded as UTF-8):
 * both are refused as the client's mistake, never left to fail as a 500 in the database.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * C0 and C1 controls (tab and newline included: no field shown to a person needs them) and the
 * bidi marks, embeddings, overrides and isolates that make text read differently from what it
 * holds (U+200E/F, U+061C, U+202A-E, U+2066-9). Shown to a customer or an operator, either can
 * disguise the text around it or drive a terminal.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_OR_BIDI = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const CONTROL_OR_BIDI_ALL = new RegExp(CONTROL_OR_BIDI.source, 'g');

/** Spaces, controls, format characters (zero-width space, bidi marks) and other invisibles. */
const INVISIBLE_OR_CONTROL = /[\p{Z}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** Any text a client sends (names, reasons, query values). */
export function safeText() {
  return z
    .string()
    .refine((text) => !text.includes('\u0000'), 'must not contain NUL (U+0000)')
    .refine((text) => !LONE_SURROGATE.test(text), 'must not contain unpaired surrogates')
    .refine(
      (text) => !CONTROL_OR_BIDI.test(text),
      'must not contain control characters or bidi overrides, embeddings, isolates or marks',
    );
}

/**
 * Text from a peer service that a customer or operator may read (a refusal reason): we cannot
 * refuse it without losing the reply, so each control or bidi character becomes U+FFFD, which
 * shows that something was there. Lone surrogates too, as Postgres cannot store them.
 */
export function cleanPeerText(text: string): string {
  return text
    .replace(CONTROL_OR_BIDI_ALL, '\uFFFD')
    .replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
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

/** identifier(max) built once per max: building a zod schema costs more than using it. */
const identifierSchemas = new Map<number, ReturnType<typeof identifier>>();

/** The same rules outside zod: the normalised id, or undefined when it is not usable. */
export function normaliseIdentifier(text: string, max = 64): string | undefined {
  let schema = identifierSchemas.get(max);
  if (!schema) identifierSchemas.set(max, (schema = identifier(max)));
  const result = schema.safeParse(text);
  return result.success ? result.data : undefined;
}
