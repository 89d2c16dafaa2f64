/**
 * One simulated peer as a process of its own, for docker-compose (the image builds this file):
 *   node dist/test/peer-simulators/run-peer.js payment|inventory
 * Reads KAFKA_BROKERS, SCHEMA_REGISTRY_URL and KAFKA_TOPIC_PREFIX as the service does; answers
 * by simulator-rules.ts. Touches READY_FILE once it consumes (the container's healthcheck) and
 * stops on SIGTERM or SIGINT.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createLogger } from '../../src/shared/logger';
import { createInventorySimulator } from './inventory-simulator';
import { createPaymentSimulator } from './payment-simulator';
import { DEFAULT_OUTCOME_SETTINGS } from './simulator-rules';

export const PEERS = { payment: createPaymentSimulator, inventory: createInventorySimulator };
export const READY_FILE = '/tmp/peer-ready';

async function main(name: string): Promise<void> {
  const create = PEERS[name as keyof typeof PEERS];
  if (!create) throw new Error(`usage: run-peer ${Object.keys(PEERS).join('|')}`);
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX = '' } = process.env;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL) {
    throw new Error('KAFKA_BROKERS and SCHEMA_REGISTRY_URL are required');
  }
  const logger = createLogger('info', { service: `${name}-simulator` });
  const peer = create(
    {
      brokers: KAFKA_BROKERS.split(','),
      registryUrl: SCHEMA_REGISTRY_URL,
      topicPrefix: KAFKA_TOPIC_PREFIX,
      groupId: `${KAFKA_TOPIC_PREFIX}peer-simulator-${name}`,
      logger,
    },
    DEFAULT_OUTCOME_SETTINGS,
  );
  rmSync(READY_FILE, { force: true });
  await peer.start();
  writeFileSync(READY_FILE, 'consuming\n');
  logger.info('simulator consuming');
  const stop = () => {
    peer.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main(process.argv[2] ?? '').catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
