/**
 * The service's configuration, owned part by part: each module beside this one (http, admin,
 * process, auth, postgres, kafka, registry, outbox, breaker, saga, operators, console) holds its keys
 * with their documentation, its own cross-key rules, and the function that builds its options.
 * config-schema.ts assembles them into the one schema start-up checks. Only the composition
 * roots (src/start.ts, src/application.ts, the CLIs) import this folder; lint enforces it.
 */
export { CONFIG_GROUPS, type ConfigGroup } from './config-groups';
export { CONFIG_KEYS, type Config, type ConfigKey } from './config-schema';
export type { ConfigKeyDoc } from './documented-keys';
export { configDocumentation, type ConfigKeyDocumentation } from './key-documentation';
export { ConfigError, loadConfig, loadConfigKeys } from './load-config';
export { secretsOf } from './secrets';
export { startupSummary } from './startup-summary';
export { serviceOptions, type ServiceOptions } from './service-options';
export { INSECURE_LINKS, insecureTransportWarnings, type InsecureLink } from './process';
export { databaseTlsVerified } from './postgres';
export { breakerWindowNeededMs } from './breaker';
export { KAFKA_SECURITY_KEYS, kafkaSecurityOf } from './kafka';
export { REGISTRY_CONNECTION_KEYS, registryConnectionOf } from './registry';
