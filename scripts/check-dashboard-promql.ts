/**
 * promtool parses the dashboard's PromQL: each expression becomes a recording rule in a
 * scratch rules file (Grafana's `$variables` given a value), then `promtool check rules`.
 * Part of `npm run alerts:check`; which metrics they name is checked against a running service
 * by test/integration/observability/alert-metric-names.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardExpressions, readRulesAndDashboard } from './deploy-metric-names';

const expressions = dashboardExpressions(readRulesAndDashboard().dashboard);
const rules = expressions.map((expr, index) => ({
  record: `dashboard:expression_${index}`,
  expr: expr.replace(/\$\{?\w+\}?/g, 'value'),
}));
const folder = mkdtempSync(join(tmpdir(), 'dashboard-promql-'));
try {
  const file = join(folder, 'dashboard.rules.json');
  // JSON is YAML: promtool reads it as a rules file.
  writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
  execFileSync('promtool', ['check', 'rules', file], { stdio: 'inherit' });
  console.log(`the dashboard's ${expressions.length} PromQL expressions parse`);
} catch {
  process.exitCode = 1;
} finally {
  rmSync(folder, { recursive: true, force: true });
}
