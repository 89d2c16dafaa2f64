/**
 * Text from outside (record keys, headers, error messages, topic names) on an operator's
 * terminal: a C0 or C1 control (ESC starts a sequence that can rewrite the screen, set the
 * title or the clipboard), DEL, or a bidi control (which can reorder what a line seems to say)
 * is shown escaped as `\u{1b}`, so the operator sees that something was there and what.
 */
// eslint-disable-next-line no-control-regex
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves raw of the above: DEL, C1 and bidi controls. */
const JSON_UNESCAPED = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const codeOf = (char: string) => (char.codePointAt(0) as number).toString(16);

/** Every control and bidi character of `text` as a visible `\u{hex}`. */
export function escapeForTerminal(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (char) => `\\u{${codeOf(char)}}`);
}

/**
 * The same characters as JSON's own `\uXXXX` escapes, for JSON text printed to a terminal: the
 * document still parses to exactly the same strings. (JSON.stringify escapes C0 itself, but
 * leaves DEL, C1 and bidi controls raw.)
 */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(JSON_UNESCAPED, (char) => `\\u${codeOf(char).padStart(4, '0')}`);
}

/** Output of several lines: each line escaped, the line breaks between them kept. */
export function escapeLinesForTerminal(text: string): string {
  return text.split('\n').map(escapeForTerminal).join('\n');
}
