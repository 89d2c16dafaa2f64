import { Kafka, logLevel } from 'kafkajs';

/** True once the broker answers a metadata request with a controller. */
export async function brokerAnswers(broker: string): Promise<boolean> {
  const admin = new Kafka({
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}
