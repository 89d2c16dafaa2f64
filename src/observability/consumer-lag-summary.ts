import type { Registry } from 'prom-client';

/**
 * The sampled `consumer_lag_records` gauge summed per topic: the lag the service already
 * measures for /metrics, so the console asks Kafka nothing more.
 */
export async function consumerLagByTopic(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('consumer_lag_records');
  if (!metric) return {};
  const { values } = await metric.get();
  const lag: Record<string, number> = {};
  for (const { labels, value } of values) {
    const topic = String(labels.topic ?? 'unknown');
    lag[topic] = (lag[topic] ?? 0) + value;
  }
  return lag;
}
