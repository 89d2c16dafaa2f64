import type { Config } from './config-schema';
import { secretsOf } from './secrets';
import { createRedactor, REDACTED } from '../shared/redaction';
import { serviceVersion } from '../shared/service-version';

/**
 * The start-up line: the version and the effective configuration, every key, secrets replaced.
 * Value by value (not the JSON text), so a secret is found however JSON would escape it.
 */
export function startupSummary(config: Config): {
  version: string;
  config: Record<string, unknown>;
} {
  const secrets = secretsOf(config);
  const redactText = createRedactor(secrets);
  const redact = (value: unknown): unknown => {
    if (typeof value !== 'string') return Array.isArray(value) ? value.map(redact) : value;
    // Whole values too, however short: the redactor leaves secrets under 4 characters alone.
    return secrets.includes(value) ? REDACTED : redactText(value);
  };
  return {
    version: serviceVersion(),
    config: Object.fromEntries(Object.entries(config).map(([key, value]) => [key, redact(value)])),
  };
}
