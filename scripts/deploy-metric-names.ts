import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Where the alert rules and the dashboard live, from the repository root. */
export const RULES_FILE = join(__dirname, '../deploy/prometheus/order-service-rules.yml');
export const DASHBOARD_FILE = join(__dirname, '../deploy/grafana/order-service-dashboard.json');

/** Series Prometheus makes itself, not the service: the dashboard may show firing alerts. */
export const PROMETHEUS_OWN_SERIES = new Set(['ALERTS', 'ALERTS_FOR_STATE', 'up']);

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

// Numbers first, so `1e3` is never read as a name `e3`.
const TOKEN = /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([a-zA-Z_:][\w:]*)\s*(\()?|./gs;

/**
 * The metric names a PromQL expression reads. Strings, label matchers, ranges, label lists of
 * `by`/`on`/... and Grafana's `$variables` are removed first; a name followed by `(` is a function.
 */
export function metricNamesIn(expression: string): string[] {
  const bare = expression
    .replace(/\$\{?\w+\}?/g, '')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const [, number, name, call] of bare.matchAll(TOKEN)) {
    if (number !== undefined || name === undefined || call !== undefined) continue;
    if (!KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/** Every PromQL expression in a Grafana dashboard: panel targets, rows' panels, annotations, variables. */
export function dashboardExpressions(dashboard: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) node.forEach((item) => visit(item));
    else if (node && typeof node === 'object') {
      for (const [child, value] of Object.entries(node)) visit(value, child);
    } else if (typeof node === 'string' && (key === 'expr' || key === 'definition')) {
      // A variable's `label_values(metric, label)` is Grafana's, not PromQL: keep its metric.
      const labelValues = /^label_values\((.+),\s*\w+\)$/.exec(node.trim());
      found.push(labelValues ? (labelValues[1] as string) : node);
    }
  };
  visit(dashboard);
  return found;
}

/** Every `expr` of a Prometheus rules file. */
export function ruleExpressions(rules: string): string[] {
  const { groups } = parse(rules) as { groups: { rules: { expr: string }[] }[] };
  return groups.flatMap((group) => group.rules.map((rule) => String(rule.expr)));
}

/**
 * The names a scrape lets PromQL query: every sample's name, every declared counter or gauge
 * (a labelled one may have no sample yet), and a histogram's `_bucket`, `_sum` and `_count`
 * (never its bare family name, which holds no series).
 */
export function exportedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (type) {
      const [, family, kind] = type as unknown as [string, string, string];
      if (kind === 'histogram' || kind === 'summary') {
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(family + suffix);
        if (kind === 'summary') names.add(family);
      } else names.add(family);
    } else if (line && !line.startsWith('#')) {
      const sample = /^([a-zA-Z_:][\w:]*)/.exec(line);
      if (sample) names.add(sample[1] as string);
    }
  }
  return names;
}

/** The names the rules and the dashboard read that the scrape does not export, sorted. */
export function namesNotExported(
  expressions: readonly string[],
  exported: ReadonlySet<string>,
): string[] {
  const referenced = new Set(expressions.flatMap(metricNamesIn));
  return [...referenced]
    .filter((name) => !exported.has(name) && !PROMETHEUS_OWN_SERIES.has(name))
    .sort();
}

export function readRulesAndDashboard(): { rules: string; dashboard: unknown } {
  return {
    rules: readFileSync(RULES_FILE, 'utf8'),
    dashboard: JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as unknown,
  };
}
