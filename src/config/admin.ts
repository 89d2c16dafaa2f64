import { z } from 'zod';
import { documented, optional, port, type CrossKeyRule, type SettingsOf } from './documented-keys';
import type { HttpSettings } from './http';
import type { ProcessSettings } from './process';

/** The admin port: `/metrics`, the detailed readiness report, the AsyncAPI document. */
export const adminKeys = {
  ADMIN_HOST: documented(
    optional(z.string().regex(/^[\w.:-]+$/, 'must be a host name or address')),
    {
      group: 'http',
      description:
        'the interface the admin port listens on; unset: `127.0.0.1` (loopback only), or `0.0.0.0` with `NODE_ENV=production`, as a container must be scraped from outside (publish the port to the monitoring network only)',
    },
  ),
  ADMIN_PORT: documented(port.default(9464), {
    group: 'http',
    description:
      '`/metrics` and the detailed readiness report; for the monitoring network only, never exposed to customers; must differ from `PORT`',
  }),
  METRICS_SAMPLE_INTERVAL_MS: documented(z.coerce.number().int().min(100).default(15_000), {
    group: 'http',
    description:
      'how often the outbox backlog, orders by status and consumer lag are measured for `/metrics` (one query each, however often it is scraped)',
  }),
};

export type AdminSettings = SettingsOf<typeof adminKeys>;

export const adminRules: CrossKeyRule<AdminSettings & HttpSettings>[] = [
  {
    keys: ['PORT', 'ADMIN_PORT'],
    check: (config) =>
      config.PORT !== 0 && config.PORT === config.ADMIN_PORT
        ? { key: 'ADMIN_PORT', message: 'must differ from PORT' }
        : undefined,
  },
];

export function adminOptions(config: AdminSettings & Pick<ProcessSettings, 'NODE_ENV'>) {
  return {
    // Loopback unless told, but a container in production is scraped from outside.
    host: config.ADMIN_HOST ?? (config.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    port: config.ADMIN_PORT,
    metricsSampleIntervalMs: config.METRICS_SAMPLE_INTERVAL_MS,
  };
}
