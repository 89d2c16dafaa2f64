/** Renders the demo's result: per order a heading, then its status history with timings. */
export interface Journey {
  scenario: string;
  orderId: string;
  status: string;
  placedAt: string;
  history: { from: string | null; to: string; reason: string | null; at: string }[];
}

const MAX_REASON = 80;

export function journeyTable(journeys: readonly Journey[]): string {
  const blocks = journeys.map((journey) => {
    const placed = Date.parse(journey.placedAt);
    const rows = journey.history.map((change) => [
      `+${Date.parse(change.at) - placed} ms`,
      change.from ? `${change.from} → ${change.to}` : `→ ${change.to}`,
      shorten(change.reason ?? ''),
    ]);
    const ended = Date.parse(journey.history.at(-1)?.at ?? journey.placedAt) - placed;
    const heading = `${journey.scenario}  ·  order ${journey.orderId.slice(0, 8)}  ·  ${journey.status} after ${(ended / 1_000).toFixed(1)} s`;
    return { heading, rows };
  });
  const allRows = blocks.flatMap((block) => block.rows);
  const widths = [0, 1].map((column) =>
    Math.max(...allRows.map((row) => row[column]?.length ?? 0)),
  );
  const line = ([at = '', step = '', why = '']: string[]) =>
    `  ${at.padStart(widths[0] ?? 0)}  ${step.padEnd(widths[1] ?? 0)}  ${why}`.trimEnd();
  return blocks.map(({ heading, rows }) => [heading, ...rows.map(line)].join('\n')).join('\n\n');
}

function shorten(text: string): string {
  return text.length <= MAX_REASON ? text : `${text.slice(0, MAX_REASON - 1)}…`;
}
