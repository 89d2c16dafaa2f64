import { createLogger, type Logger } from '../../src/shared/logger';
import { createInventorySimulator } from './inventory-simulator';
import { createPaymentSimulator } from './payment-simulator';
import type { ConsumerTuning, PeerEffect, PeerSimulator } from './peer-runtime';
import { DEFAULT_OUTCOME_SETTINGS, type OutcomeSettings } from './simulator-rules';

/** One config for both simulated peers. Outcome rules: simulator-rules.ts. */
export interface PeersConfig {
  brokers: string[];
  registryUrl: string;
  /** The topic prefix of the order service they talk to. */
  topicPrefix: string;
  /** Consumer groups are `<groupIdPrefix>payment` and `<groupIdPrefix>inventory`. */
  groupIdPrefix?: string;
  payment?: Partial<OutcomeSettings>;
  inventory?: Partial<OutcomeSettings>;
  consumer?: ConsumerTuning;
  logger?: Logger;
  random?: () => number;
  /** Each peer's effects as it takes them (see PeerConnection.onEffect). */
  onEffect?: (peer: 'payment' | 'inventory', effect: PeerEffect) => void;
}

export interface RunningPeers {
  payment: PeerSimulator;
  inventory: PeerSimulator;
  stop(): Promise<void>;
}

/** Starts the payment and inventory simulators together; resolves once both consume. */
export async function startPeers(config: PeersConfig): Promise<RunningPeers> {
  const logger = config.logger ?? createLogger('info', { service: 'peer-simulators' });
  const groupIdPrefix = config.groupIdPrefix ?? `${config.topicPrefix}peer-simulator-`;
  const connection = (name: 'payment' | 'inventory') => ({
    brokers: config.brokers,
    registryUrl: config.registryUrl,
    topicPrefix: config.topicPrefix,
    groupId: `${groupIdPrefix}${name}`,
    consumer: config.consumer,
    random: config.random,
    onEffect: config.onEffect && ((effect: PeerEffect) => config.onEffect?.(name, effect)),
    logger: logger.child({ namespace: `${name[0]?.toUpperCase()}${name.slice(1)}Simulator` }),
  });
  const payment = createPaymentSimulator(connection('payment'), {
    ...DEFAULT_OUTCOME_SETTINGS,
    ...config.payment,
  });
  const inventory = createInventorySimulator(connection('inventory'), {
    ...DEFAULT_OUTCOME_SETTINGS,
    ...config.inventory,
  });
  const stop = async () => {
    await Promise.all([payment.stop(), inventory.stop()]);
  };
  const started = await Promise.allSettled([payment.start(), inventory.start()]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stop().catch(() => undefined);
    throw failed.reason;
  }
  return { payment, inventory, stop };
}
