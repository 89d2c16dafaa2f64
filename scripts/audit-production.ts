/**
 * CI's dependency audit: `npm audit --omit=dev`, and a verdict. A high or critical advisory on a
 * production dependency fails the run, unless audit-exceptions.json lists it with a reason and
 * a review date that has not passed (an exception is a decision with an expiry, not a mute).
 *
 * When the advisory service cannot be asked (some registries and mirrors answer npm's bulk
 * advisory endpoint with 405, as the project's build machines do), that is not a finding: the
 * run goes on, and the output says loudly that nothing was checked. AUDIT_REQUIRED=true makes
 * that a failure too, for CI systems that can reach the service.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
}

export interface Verdict {
  /** Could the advisory service be asked at all? */
  checked: boolean;
  failures: string[];
  excepted: string[];
}

const BLOCKING = new Set(['high', 'critical']);

export function auditVerdict(
  report: AuditReport,
  exceptions: readonly AuditException[],
  today: string,
): Verdict {
  if (!report.vulnerabilities) return { checked: false, failures: [], excepted: [] };
  const failures: string[] = [];
  const excepted: string[] = [];
  const seen = new Set<string>();
  for (const { via } of Object.values(report.vulnerabilities)) {
    for (const advisory of via) {
      // A string names the dependency through which another entry's advisory arrives.
      if (typeof advisory === 'string' || !BLOCKING.has(advisory.severity)) continue;
      const id = advisory.url.split('/').pop() ?? advisory.url;
      if (seen.has(`${id} ${advisory.name}`)) continue;
      seen.add(`${id} ${advisory.name}`);
      const line = `${advisory.severity} ${id} in ${advisory.name}: ${advisory.title}`;
      const exception = exceptions.find(
        (entry) => entry.advisory === id && entry.package === advisory.name,
      );
      if (exception && exception.reviewBy >= today) {
        excepted.push(`${line} (excepted until ${exception.reviewBy}: ${exception.reason})`);
      } else {
        failures.push(exception ? `${line} (exception expired ${exception.reviewBy})` : line);
      }
    }
  }
  return { checked: true, failures, excepted };
}

function npmAudit(): Promise<AuditReport> {
  return new Promise((resolve) => {
    // npm audit exits non-zero when it finds anything; the JSON says what.
    execFile(
      'npm',
      ['audit', '--omit=dev', '--json'],
      { maxBuffer: 64 * 1024 * 1024 },
      (_e, stdout) => {
        try {
          resolve(JSON.parse(stdout) as AuditReport);
        } catch {
          resolve({});
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
  if (!verdict.checked) {
    const required = process.env.AUDIT_REQUIRED === 'true';
    console.log(
      `npm audit: NOT CHECKED - the registry's advisory service did not answer` +
        (required
          ? ' (AUDIT_REQUIRED=true: failing)'
          : ' (set AUDIT_REQUIRED=true to fail on this)'),
    );
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
  process.exitCode = verdict.failures.length === 0 ? 0 : 1;
}

if (require.main === module) void main();
