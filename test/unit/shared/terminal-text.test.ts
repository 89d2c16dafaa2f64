import {
  escapeForTerminal,
  escapeJsonForTerminal,
  escapeLinesForTerminal,
} from '../../../src/shared/terminal-text';

/** Everything a terminal may act on rather than print: C0, DEL, C1 and the bidi controls. */
const UNSAFE = [
  ...Array.from({ length: 0x20 }, (_, code) => code),
  ...Array.from({ length: 0x21 }, (_, offset) => 0x7f + offset),
  0x061c,
  0x200e,
  0x200f,
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e],
  ...[0x2066, 0x2067, 0x2068, 0x2069],
];

describe('text printed to an operator terminal', () => {
  test.each(UNSAFE.map((code) => [code.toString(16), code]))(
    'when a text holds U+%s, then it is shown escaped and the character itself is gone',
    (_hex, code) => {
      const char = String.fromCodePoint(code as number);
      const escaped = escapeForTerminal(`a${char}b`);
      expect(escaped).toBe(`a\\u{${(code as number).toString(16)}}b`);
      expect(escaped).not.toContain(char);
    },
  );

  test('when a text holds only printable characters, then it is unchanged (accents, CJK, emoji)', () => {
    const text = 'Crème brûlée 注文 🚀 «quoted» ~!';
    expect(escapeForTerminal(text)).toBe(text);
  });

  test('when an ESC sequence would clear the screen or set the title, then it is inert text', () => {
    expect(escapeForTerminal('\u001b]0;owned\u0007\u001b[2J')).toBe(
      '\\u{1b}]0;owned\\u{7}\\u{1b}[2J',
    );
  });

  test('when JSON holds DEL, C1 or bidi controls, then they become JSON escapes and it parses to the same strings', () => {
    const data = { key: 'a\u202eb\u007f\u009b', esc: '\u001b[31m' };
    const json = escapeJsonForTerminal(JSON.stringify(data, null, 2));
    expect(json).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(json).toContain('\\u202e');
    expect(JSON.parse(json)).toEqual(data);
  });

  test('when output spans lines, then the line breaks stay and each line is escaped', () => {
    expect(escapeLinesForTerminal('one\u001b\ntwo\r')).toBe('one\\u{1b}\ntwo\\u{d}');
  });
});
