import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { headingAnchor } from '../../../scripts/docs-links';
import { scrapeMetrics, valueOf } from '../../support/metrics-scrape';
import {
  dashboardExpressions,
  exportedMetricNames,
  metricNamesIn,
  namesNotExported,
  readRulesAndDashboard,
  ruleExpressions,
} from '../../../scripts/deploy-metric-names';
import { waitFor } from '../../support/wait-for';
import { runningService } from '../../support/fixtures/running-service';

const OPERATIONS_PAGE = join(__dirname, '../../../docs/operations.md');

// A sweeper that passes once at start-up and then not for an hour: an order written
// past its deadline afterwards stays there, as it would with the sweeper broken.
const app = runningService({
  METRICS_SAMPLE_INTERVAL_MS: '200',
  SAGA_SWEEP_INTERVAL_MS: String(3_600_000),
});

describe('deploy/: the alert rules and the dashboard read what the service exports', () => {
  let exposition: string;
  beforeAll(async () => {
    exposition = await (await fetch(`${app.adminUrl}/metrics`)).text();
  });

  test('when the rules and the dashboard are read, then every metric name in their PromQL is exported on /metrics', () => {
    const { rules, dashboard } = readRulesAndDashboard();
    const expressions = [...ruleExpressions(rules), ...dashboardExpressions(dashboard)];
    // An extractor that found nothing would pass anything.
    expect(new Set(expressions.flatMap(metricNamesIn)).size).toBeGreaterThanOrEqual(15);
    expect(namesNotExported(expressions, exportedMetricNames(exposition))).toEqual([]);
  });

  test('when a name in the dashboard is misspelt, then the check names it', () => {
    const { dashboard } = readRulesAndDashboard();
    const misspelt = JSON.parse(
      JSON.stringify(dashboard).replaceAll('outbox_relay_slots_held', 'outbox_relay_slot_held'),
    ) as unknown;
    expect(
      namesNotExported(dashboardExpressions(misspelt), exportedMetricNames(exposition)),
    ).toEqual(['outbox_relay_slot_held']);
  });

  test('when an alert fires, then its runbook link leads to its own section of docs/operations.md', () => {
    const page = readFileSync(OPERATIONS_PAGE, 'utf8');
    const anchors = new Set(
      [...page.matchAll(/^#+ (.+)$/gm)].map((match) => headingAnchor(match[1] as string)),
    );
    const { groups } = parse(readRulesAndDashboard().rules) as {
      groups: { rules: { alert: string; annotations: { runbook_url: string } }[] }[];
    };
    for (const { alert, annotations } of groups.flatMap((group) => group.rules)) {
      expect({ alert, runbook: annotations.runbook_url }).toEqual({
        alert,
        runbook: `docs/operations.md#${alert.toLowerCase()}`,
      });
      expect({ alert, anchorFound: anchors.has(alert.toLowerCase()) }).toEqual({
        alert,
        anchorFound: true,
      });
    }
  });

  test('when an order is left past its step deadline, then the stuck-saga gauge shows how long, and 0 once it moves on', async () => {
    const orderId = '00000000-0000-4000-8000-0000000000a7';
    await app.sql.query(
      `INSERT INTO orders (id, customer_id, status, currency, total_amount, step_deadline_at)
       VALUES ($1, 'customer-7', 'PENDING', 'EUR', 1200, now() - interval '1 hour')`,
      [orderId],
    );
    const past = async () =>
      valueOf(await scrapeMetrics(app.adminUrl), 'orders_past_step_deadline_seconds');
    await waitFor(async () => ((await past()) ?? 0) >= 3_600, {
      timeoutMs: 10_000,
      message: 'an order an hour past its deadline',
    });

    await app.sql.query(
      `UPDATE orders SET status = 'FAILED', step_deadline_at = NULL WHERE id = $1`,
      [orderId],
    );
    await waitFor(async () => (await past()) === 0, {
      timeoutMs: 10_000,
      message: 'nothing past its deadline',
    });
  });
});
