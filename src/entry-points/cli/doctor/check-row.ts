import { errorMessage } from '../../../shared/app-error';
import { cell, formatTable } from '../../../shared/text-table';

/** `fail`: the service cannot run as configured; `warn`: it can, but look. */
export type Verdict = 'ok' | 'warn' | 'fail';

export interface CheckRow {
  area: 'database' | 'kafka' | 'registry' | 'acl';
  check: string;
  verdict: Verdict;
  detail: string;
}

export const row = (
  area: CheckRow['area'],
  check: string,
  verdict: Verdict,
  detail: string,
): CheckRow => ({ area, check, verdict, detail });

/** A check that could not run at all is a failure naming why. */
export async function guarded(
  area: CheckRow['area'],
  check: string,
  run: () => Promise<CheckRow[]>,
): Promise<CheckRow[]> {
  try {
    return await run();
  } catch (error) {
    return [row(area, check, 'fail', errorMessage(error))];
  }
}

export function doctorTable(rows: readonly CheckRow[]): string {
  const lines = formatTable(
    ['AREA', 'CHECK', 'RESULT', 'DETAIL'],
    rows.map((r) => [r.area, cell(r.check, 60), r.verdict.toUpperCase(), cell(r.detail, 160)]),
  );
  return `${lines.join('\n')}\n`;
}
