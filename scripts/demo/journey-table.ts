import { cell, formatTable } from '../../src/shared/text-table';

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
      cell(change.reason ?? '', MAX_REASON),
    ]);
    const ended = Date.parse(journey.history.at(-1)?.at ?? journey.placedAt) - placed;
    const heading = `${journey.scenario}  ·  order ${journey.orderId.slice(0, 8)}  ·  ${journey.status} after ${(ended / 1_000).toFixed(1)} s`;
    return { heading, rows };
  });
  // One table for every journey, so the columns line up across them; then cut back into blocks.
  const lines = formatTable(
    null,
    blocks.flatMap((block) => block.rows),
    { align: ['right'], indent: '  ' },
  );
  let next = 0;
  return blocks
    .map(({ heading, rows }) => [heading, ...lines.slice(next, (next += rows.length))].join('\n'))
    .join('\n\n');
}
