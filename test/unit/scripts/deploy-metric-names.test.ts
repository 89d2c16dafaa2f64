import {
  exportedMetricNames,
  metricNamesIn,
  namesNotExported,
} from '../../../scripts/deploy-metric-names';

describe('metric names read by PromQL, against those a scrape exports', () => {
  test('when an expression has functions, matchers, ranges, label lists and variables, then only metric names are read', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{job="$job",route=~"/a|b"}[5m]))) > 1e3',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      metricNamesIn(
        'min_over_time(max by (job) (consumer_lag_records)[10m:1m]) > 0 and on (job) sum(up) without (instance) unless ${DS}',
      ),
    ).toEqual(['consumer_lag_records', 'up']);
  });

  test('when a histogram is exported, then its _bucket, _sum and _count are queryable, never its bare name', () => {
    const exported = exportedMetricNames(
      [
        '# TYPE orders_created_total counter',
        'orders_created_total 3',
        '# TYPE consumer_lag_records gauge',
        '# TYPE outbox_publish_latency_seconds histogram',
        'outbox_publish_latency_seconds_bucket{le="0.1"} 1',
      ].join('\n'),
    );
    expect(
      namesNotExported(
        [
          'rate(orders_created_total[5m])',
          'consumer_lag_records',
          'outbox_publish_latency_seconds_count',
          'outbox_publish_latency_seconds',
          'orders_created',
          'ALERTS{alertstate="firing"}',
        ],
        exported,
      ),
    ).toEqual(['orders_created', 'outbox_publish_latency_seconds']);
  });
});
