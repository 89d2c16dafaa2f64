import { cell, formatTable } from '../../../src/shared/text-table';

describe('DLQ tool tables', () => {
  test('when cells differ in width, then columns line up and the last column is left ragged', () => {
    expect(
      formatTable(
        ['TOPIC', 'RECORDS', 'TO HANDLE'],
        [
          ['a_dlq', '12', '3'],
          ['longer_dlq', '1', '0'],
        ],
      ),
    ).toEqual([
      'TOPIC       RECORDS  TO HANDLE',
      'a_dlq       12       3',
      'longer_dlq  1        0',
    ]);
  });

  test('when a cell holds line breaks or control characters, then it stays on one line and the controls show escaped', () => {
    expect(cell('Invalid `x()`\n  → 64 const\u0000', 100)).toBe('Invalid `x()` → 64 const\\u{0}');
  });

  test('when any cell of a table holds an escape sequence or a bidi control, then the line shows it escaped', () => {
    const [, row] = formatTable(['KEY', 'HEADER'], [['\u001b[2Jorder', 'a\u202eb\u0085']]);
    expect(row).toBe('\\u{1b}[2Jorder  a\\u{202e}b\\u{85}');
  });

  test('when a cell is too long, then it is cut with an ellipsis at the width', () => {
    expect(cell('abcdefghij', 5)).toBe('abcd…');
    expect(cell('abcde', 5)).toBe('abcde');
  });
});
