import {
  auditStatusLine,
  auditVerdict,
  type AuditException,
} from '../../../scripts/audit-production';

const advisory = (name: string, severity: string, ghsa: string) => ({
  name,
  severity,
  title: `${severity} problem in ${name}`,
  url: `https://github.com/advisories/${ghsa}`,
});

const report = {
  vulnerabilities: {
    'left-pad': { via: [advisory('left-pad', 'high', 'GHSA-aaaa-bbbb-cccc')] },
    'uses-left-pad': { via: ['left-pad'] },
    'is-odd': { via: [advisory('is-odd', 'moderate', 'GHSA-dddd-eeee-ffff')] },
  },
};

describe('npm audit verdict', () => {
  test('when a production dependency has a high advisory, then the run fails, once per advisory', () => {
    const verdict = auditVerdict(report, [], '2026-11-21');
    expect(verdict).toEqual({
      checked: true,
      excepted: [],
      failures: ['high GHSA-aaaa-bbbb-cccc in left-pad: high problem in left-pad'],
      seenIds: ['GHSA-aaaa-bbbb-cccc', 'GHSA-dddd-eeee-ffff'],
      exceptedIds: [],
    });
  });

  test('when the advisory has a dated exception with a reason, then it passes until the review date', () => {
    const exception: AuditException = {
      advisory: 'GHSA-aaaa-bbbb-cccc',
      package: 'left-pad',
      reason: 'only reachable through the CLI, never with untrusted input',
      reviewBy: '2026-12-31',
    };
    expect(auditVerdict(report, [exception], '2026-12-31').failures).toEqual([]);
    expect(auditVerdict(report, [exception], '2027-01-01').failures).toEqual([
      expect.stringContaining('exception expired 2026-12-31'),
    ]);
  });

  test('when only moderate or low advisories exist, then the run passes', () => {
    const { failures } = auditVerdict(
      { vulnerabilities: { 'is-odd': report.vulnerabilities['is-odd'] } },
      [],
      '2026-11-21',
    );
    expect(failures).toEqual([]);
  });

  test('when the advisory service gave no report, then the verdict says nothing was checked', () => {
    expect(auditVerdict({}, [], '2026-11-21')).toEqual({
      checked: false,
      reason: 'npm audit gave no report',
      failures: [],
      excepted: [],
      seenIds: [],
      exceptedIds: [],
    });
  });

  test('when the advisory endpoint refuses (405), then the status line says NOT CHECKED and why', () => {
    // What npm 10 prints with --json when the registry refuses the bulk advisory endpoint.
    const refused = {
      message:
        '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
      error: { summary: '', detail: '' },
    };
    expect(auditStatusLine(auditVerdict(refused, [], '2026-11-21'))).toBe(
      'audit: NOT CHECKED (the advisory service did not answer: 405 Method Not Allowed - ' +
        'POST https://registry.example/-/npm/v1/security/advisories/bulk)',
    );
  });

  test('when the audit answers, then the status line counts and names the advisories seen and excepted', () => {
    const exception: AuditException = {
      advisory: 'GHSA-aaaa-bbbb-cccc',
      package: 'left-pad',
      reason: 'not reachable with untrusted input',
      reviewBy: '2026-12-31',
    };
    const answered = { ...report, metadata: { dependencies: { prod: 120, total: 900 } } };
    expect(auditStatusLine(auditVerdict(answered, [exception], '2026-12-01'))).toBe(
      'audit: checked 120 production dependencies; 2 advisory(ies) seen ' +
        '(GHSA-aaaa-bbbb-cccc, GHSA-dddd-eeee-ffff); 1 excepted (GHSA-aaaa-bbbb-cccc); 0 blocking',
    );
    expect(auditStatusLine(auditVerdict({ vulnerabilities: {} }, [], '2026-12-01'))).toBe(
      'audit: checked 0 advisory(ies) seen; 0 excepted; 0 blocking',
    );
  });
});
