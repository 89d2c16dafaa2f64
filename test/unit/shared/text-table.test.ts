import { formatTable } from '../../../src/shared/text-table';

describe('the one text-table renderer', () => {
  test('when the style is markdown, then every cell is padded between pipes under a delimiter row, as Prettier formats it', () => {
    expect(
      formatTable(
        ['measure', 'result', 'ratio'],
        [
          ['intake', '388/s', '0.81x'],
          ['drain', '6,665 rows/s', ''],
        ],
        { style: 'markdown' },
      ),
    ).toEqual([
      '| measure | result       | ratio |',
      '| ------- | ------------ | ----- |',
      '| intake  | 388/s        | 0.81x |',
      '| drain   | 6,665 rows/s |       |',
    ]);
  });

  test('when a markdown cell holds a pipe or a column is narrow, then the pipe is escaped and the column is three wide', () => {
    expect(formatTable(['a', 'b'], [['x|y', '']], { style: 'markdown' })).toEqual([
      '| a    | b   |',
      '| ---- | --- |',
      '| x\\|y |     |',
    ]);
  });

  test('when there is no header, a column aligned right and an indent, then the rows line up under the indent', () => {
    expect(
      formatTable(
        null,
        [
          ['+3 ms', '→ PENDING', ''],
          ['+1250 ms', 'PENDING → CONFIRMED', 'inventory reserved'],
        ],
        { align: ['right'], indent: '  ' },
      ),
    ).toEqual(['     +3 ms  → PENDING', '  +1250 ms  PENDING → CONFIRMED  inventory reserved']);
  });
});
