import { escapeForTerminal } from './terminal-text';

/**
 * The one text-table renderer: the DLQ tool's tables, the demo's journeys and the bench's
 * figures. Widths are in UTF-16 code units, which is what a terminal shows for the text these
 * tables hold (no wide or combining characters).
 */
export interface TableOptions {
  /**
   * `plain` (the default): columns two spaces apart, the last one left ragged, no trailing
   * blanks. `markdown`: a pipe table with a delimiter row under the header, every cell padded
   * and `|` escaped, exactly as Prettier formats one (so a generated table passes its check).
   */
  style?: 'plain' | 'markdown';
  /** Per column, `left` unless given. */
  align?: readonly ('left' | 'right')[];
  /** Put before every line of a plain table. */
  indent?: string;
}

/** The header line (none when null) and the rows, each column as wide as its widest cell. */
export function formatTable(
  header: readonly string[] | null,
  rows: readonly (readonly string[])[],
  { style = 'plain', align = [], indent = '' }: TableOptions = {},
): string[] {
  // Cells may hold record keys and headers: no control or bidi character reaches a terminal.
  const escape = (row: readonly string[]) =>
    row
      .map(escapeForTerminal)
      .map((text) => (style === 'markdown' ? text.replaceAll('|', '\\|') : text));
  const all = (header ? [header, ...rows] : rows).map(escape);
  const columns = Math.max(0, ...all.map((row) => row.length));
  const minimum = style === 'markdown' ? 3 : 0; // Prettier's shortest delimiter, `---`
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(minimum, ...all.map((row) => (row[column] ?? '').length)),
  );
  const pad = (text: string, column: number) =>
    align[column] === 'right'
      ? text.padStart(widths[column] ?? 0)
      : text.padEnd(widths[column] ?? 0);
  const cells = (row: readonly string[]) => widths.map((_, column) => row[column] ?? '');

  if (style === 'markdown') {
    const line = (row: readonly string[]) => `| ${cells(row).map(pad).join(' | ')} |`;
    const delimiter = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
    const [first, ...rest] = all;
    return header && first ? [line(first), delimiter, ...rest.map(line)] : all.map(line);
  }
  const line = (row: readonly string[]) =>
    `${indent}${cells(row)
      .map((text, column) => (column === columns - 1 ? text : pad(text, column)))
      .join('  ')}`.trimEnd();
  return all.map(line);
}

/**
 * One line of at most `max` characters: runs of white space (line breaks too) become one space,
 * other control and bidi characters are shown escaped (terminal-text.ts), an ellipsis if cut.
 */
export function cell(text: string, max: number): string {
  const flat = escapeForTerminal(text.replace(/\s+/g, ' ').trim());
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
