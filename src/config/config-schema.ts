import { z } from 'zod';
import { adminKeys, adminRules } from './admin';
import { authKeys, authRules } from './auth';
import { breakerKeys, breakerRules } from './breaker';
import { consoleKeys } from './console';
import type { CrossKeyRule } from './documented-keys';
import { httpKeys, httpRules } from './http';
import { kafkaKeys, kafkaRules } from './kafka';
import { operatorKeys } from './operators';
import { outboxKeys } from './outbox';
import { postgresKeys, postgresRules } from './postgres';
import { processKeys } from './process';
import { registryKeys, registryRules } from './registry';
import { sagaKeys } from './saga';

/**
 * The whole environment the service reads: every part's keys, in the order the docs list them
 * within each group, checked at start-up as one schema so one line names every problem.
 * A new part adds its keys here and its rules below.
 */
export const configObject = z.object({
  ...httpKeys,
  ...adminKeys,
  ...processKeys,
  ...authKeys,
  ...postgresKeys,
  ...kafkaKeys,
  ...registryKeys,
  ...outboxKeys,
  ...breakerKeys,
  ...sagaKeys,
  ...operatorKeys,
  ...consoleKeys,
});

export type Config = z.infer<typeof configObject>;
export type ConfigKey = keyof Config;

/** Every key the service reads; docs/configuration.md and .env.example list exactly these. */
export const CONFIG_KEYS = Object.keys(configObject.shape) as readonly ConfigKey[];

/** Every part's rules tying keys together, the production transport rules first. */
export const CROSS_KEY_RULES: readonly CrossKeyRule<Config>[] = [
  ...postgresRules,
  ...httpRules,
  ...adminRules,
  ...authRules,
  ...kafkaRules,
  ...registryRules,
  ...breakerRules,
];
