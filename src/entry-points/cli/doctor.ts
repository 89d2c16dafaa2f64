/**
 * `npm run doctor`: with the service's own settings (the same environment and config loader),
 * whether it can run here, as one table: the database (reachable, migrated to this version,
 * the role's grants), each topic (exists, partitions, replication), the registry (reachable,
 * subjects, compatibility) and the broker's ACLs (what this service needs, and who else may
 * write its reply topics).
 *
 *   npm run doctor [-- --reply-writers User:payment-service,User:inventory-service]
 *
 * Exit 0 when nothing fails (warnings allowed), 1 when something does, 2 on a bad
 * configuration (one line, as the service).
 */
import { Command } from 'commander';
import {
  ConfigError,
  kafkaSecurityOf,
  loadConfig,
  registryConnectionOf,
  secretsOf,
  type Config,
} from '../../config';
import { createKafka } from '../../messaging/kafka-client-factory';
import { createRegistryClient } from '../../messaging/schema-registry-client';
import { errorMessage } from '../../shared/app-error';
import { createLogger } from '../../shared/logger';
import { createRedactor } from '../../shared/redaction';
import { doctorTable, guarded, row, type CheckRow } from './doctor/check-row';
import { databaseChecks } from './doctor/database-checks';
import { aclChecks, topicChecks } from './doctor/kafka-checks';
import { registryChecks } from './doctor/registry-checks';

async function kafkaRows(config: Config, expectedWriters: string[]): Promise<CheckRow[]> {
  const kafka = createKafka({
    clientId: `${config.KAFKA_CLIENT_ID}-doctor`,
    brokers: config.KAFKA_BROKERS,
    requestTimeoutMs: config.KAFKA_REQUEST_TIMEOUT_MS,
    security: kafkaSecurityOf(config),
    logger: createLogger('silent'),
    retry: { retries: 1 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    return [
      row(
        'kafka',
        'reachable',
        'fail',
        `${config.KAFKA_BROKERS.join(',')}: ${errorMessage(error)}`,
      ),
    ];
  }
  try {
    const cluster = await admin.describeCluster();
    return [
      row(
        'kafka',
        'reachable',
        'ok',
        `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? '?'}`,
      ),
      ...(await guarded('kafka', 'topics', () => topicChecks(admin, config))),
      ...(await guarded('acl', 'ACLs', () => aclChecks(admin, config, expectedWriters))),
    ];
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<number> {
  const options = new Command('doctor')
    .description('Checks, with the service settings, that the service can run here')
    .option(
      '--reply-writers <principals>',
      'principals expected to write the reply topics (comma-separated)',
      '',
    )
    .parse()
    .opts<{ replyWriters: string }>();
  const expectedWriters = options.replyWriters
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : errorMessage(error)}\n`);
    return 2;
  }
  const redact = createRedactor(secretsOf(config));
  const [database, kafka, registry] = await Promise.all([
    guarded('database', 'reachable', () =>
      databaseChecks(config.DATABASE_URL, config.DATABASE_CONNECT_TIMEOUT_MS),
    ),
    guarded('kafka', 'reachable', () => kafkaRows(config, expectedWriters)),
    guarded('registry', 'reachable', () =>
      registryChecks(createRegistryClient({ ...registryConnectionOf(config), retries: 0 }), config),
    ),
  ]);
  const rows = [...database, ...kafka, ...registry];
  process.stdout.write(redact(doctorTable(rows)));
  const failed = rows.filter((r) => r.verdict === 'fail').length;
  const warned = rows.filter((r) => r.verdict === 'warn').length;
  process.stdout.write(
    failed > 0
      ? `\n${failed} check(s) failed: the service cannot run as configured.\n`
      : `\nThe service can run here${warned > 0 ? ` (${warned} warning(s))` : ''}.\n`,
  );
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`doctor failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
