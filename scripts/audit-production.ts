/**
 * CI's dependency audit: `npm audit --omit=dev`, and a verdict. A high or critical advisory on a
 * production dependency fails the run, unless audit-exceptions.json lists it with a reason and
 * a review date that has not passed (an exception is a decision with an expiry, not a mute).
 *
 * When the advisory service cannot be asked (some registries and mirrors answer npm's bulk
 * advisory endpoint with 405, as the project's build machines do), that is not a finding: the
 * run goes on, and the output says loudly that nothing was checked, and why. AUDIT_REQUIRED=true
 * makes that a failure too, for CI systems that can reach the service.
 *
 * Either way one status line (`audit: NOT CHECKED (…)` or `audit: checked …` with the advisories
 * seen and excepted, by id) is printed last and written to AUDIT_STATUS_FILE
 * (default .ci/audit-status.txt), so CI's end-of-run summary can repeat it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface AuditException {
  /** GHSA id, as in the advisory's URL. */
  advisory: string;
  package: string;
  reason: string;
  /** YYYY-MM-DD: after this the exception no longer applies and the run fails again. */
  reviewBy: string;
}

interface Advisory {
  name: string;
  severity: string;
  title: string;
  url: string;
}

interface AuditReport {
  vulnerabilities?: Record<string, { via: (Advisory | string)[] }>;
  /** How many dependencies npm audited, when it could. */
  metadata?: { dependencies?: { prod?: number; total?: number } };
  /** What npm says when the advisory service did not answer (npm 10: message, error.summary). */
  message?: string;
  error?: { code?: string; summary?: string };
}

export interface Verdict {
  /** Could the advisory service be asked at all? */
  checked: boolean;
  /** Why not, when it could not. */
  reason?: string;
  failures: string[];
  excepted: string[];
  /** Every advisory id the report named, of any severity, and the ids of the excepted ones. */
  seenIds: string[];
  exceptedIds: string[];
  /** Dependencies npm audited (production ones), when it says. */
  dependencies?: number;
}

const BLOCKING = new Set(['high', 'critical']);

export function auditVerdict(
  report: AuditReport,
  exceptions: readonly AuditException[],
  today: string,
): Verdict {
  if (!report.vulnerabilities) {
    return {
      checked: false,
      reason: notCheckedReason(report),
      failures: [],
      excepted: [],
      seenIds: [],
      exceptedIds: [],
    };
  }
  const failures: string[] = [];
  const excepted: string[] = [];
  const seen = new Set<string>();
  const seenIds = new Set<string>();
  const exceptedIds = new Set<string>();
  for (const { via } of Object.values(report.vulnerabilities)) {
    for (const advisory of via) {
      // A string names the dependency through which another entry's advisory arrives.
      if (typeof advisory === 'string') continue;
      const id = advisory.url.split('/').pop() ?? advisory.url;
      seenIds.add(id);
      if (!BLOCKING.has(advisory.severity)) continue;
      if (seen.has(`${id} ${advisory.name}`)) continue;
      seen.add(`${id} ${advisory.name}`);
      const line = `${advisory.severity} ${id} in ${advisory.name}: ${advisory.title}`;
      const exception = exceptions.find(
        (entry) => entry.advisory === id && entry.package === advisory.name,
      );
      if (exception && exception.reviewBy >= today) {
        exceptedIds.add(id);
        excepted.push(`${line} (excepted until ${exception.reviewBy}: ${exception.reason})`);
      } else {
        failures.push(exception ? `${line} (exception expired ${exception.reviewBy})` : line);
      }
    }
  }
  const dependencies = report.metadata?.dependencies?.prod ?? report.metadata?.dependencies?.total;
  return {
    checked: true,
    failures,
    excepted,
    seenIds: [...seenIds].sort(),
    exceptedIds: [...exceptedIds].sort(),
    ...(dependencies !== undefined && { dependencies }),
  };
}

function notCheckedReason(report: AuditReport): string {
  const { code, summary } = report.error ?? {};
  const said = [code, (summary || report.message)?.split('\n')[0]?.trim()]
    .filter(Boolean)
    .join(': ');
  return said
    ? `the advisory service did not answer: ${said.slice(0, 200)}`
    : 'npm audit gave no report';
}

/** The one line CI's summary repeats: what was checked, or that nothing was, and why. */
export function auditStatusLine(verdict: Verdict): string {
  if (!verdict.checked) return `audit: NOT CHECKED (${verdict.reason ?? 'no report'})`;
  const ids = (list: string[]) => (list.length === 0 ? '' : ` (${list.join(', ')})`);
  const audited =
    verdict.dependencies === undefined ? '' : ` ${verdict.dependencies} production dependencies;`;
  return (
    `audit: checked${audited} ${verdict.seenIds.length} advisory(ies) seen${ids(verdict.seenIds)}; ` +
    `${verdict.exceptedIds.length} excepted${ids(verdict.exceptedIds)}; ` +
    `${verdict.failures.length} blocking`
  );
}

function npmAudit(): Promise<AuditReport> {
  return new Promise((resolve) => {
    // npm audit exits non-zero when it finds anything; the JSON says what.
    execFile(
      'npm',
      ['audit', '--omit=dev', '--json'],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as AuditReport);
        } catch {
          const said = (stderr || error?.message || '').trim().split('\n')[0];
          resolve(said ? { error: { summary: said } } : {});
        }
      },
    );
  });
}

async function main(): Promise<void> {
  const exceptionsFile = path.resolve(__dirname, '../audit-exceptions.json');
  const { exceptions } = JSON.parse(readFileSync(exceptionsFile, 'utf8')) as {
    exceptions: AuditException[];
  };
  const today = new Date().toISOString().slice(0, 10);
  const verdict = auditVerdict(await npmAudit(), exceptions, today);
  const status = auditStatusLine(verdict);
  const statusFile =
    process.env.AUDIT_STATUS_FILE ?? path.resolve(__dirname, '../.ci/audit-status.txt');
  mkdirSync(path.dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, `${status}\n`);
  if (!verdict.checked) {
    const required = process.env.AUDIT_REQUIRED === 'true';
    console.log(
      `npm audit: NOT CHECKED - ${verdict.reason}` +
        (required
          ? ' (AUDIT_REQUIRED=true: failing)'
          : ' (set AUDIT_REQUIRED=true to fail on this)'),
    );
    console.log(status);
    process.exitCode = required ? 1 : 0;
    return;
  }
  verdict.excepted.forEach((line) => console.log(`excepted: ${line}`));
  verdict.failures.forEach((line) => console.log(`BLOCKING: ${line}`));
  console.log(
    verdict.failures.length === 0
      ? 'npm audit: no high or critical advisory on production dependencies'
      : `npm audit: ${verdict.failures.length} high or critical advisory(ies); fix, or add a dated exception with its reason to audit-exceptions.json`,
  );
  console.log(status);
  process.exitCode = verdict.failures.length === 0 ? 0 : 1;
}

if (require.main === module) void main();
