import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The docs hold blocks generated from the code (the saga diagram and table, the configuration
 * tables, the bench figures), between a start and an end marker; this replaces one, blank lines
 * around it as Prettier formats Markdown.
 */
export function withGeneratedBlock(
  text: string,
  markers: { start: string; end: string },
  block: string,
): string {
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  if (start < 0 || end < start) throw new Error(`markers not found: ${markers.start}`);
  return `${text.slice(0, start)}${markers.start}\n\n${block}\n\n${text.slice(end)}`;
}

/** Rewrites `file` with `render`, and says whether anything changed. */
export function regenerate(file: string, render: (before: string) => string): void {
  const before = readFileSync(file, 'utf8');
  const after = render(before);
  writeFileSync(file, after);
  process.stdout.write(`${file} ${before === after ? 'already up to date' : 'updated'}\n`);
}
