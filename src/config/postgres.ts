import { z } from 'zod';
import { documented, type SettingsOf } from './documented-keys';
import { secureInProduction, type ProcessSettings } from './process';

/** The service's database: where it is, and the two pools (the API's, the saga's). */
export const postgresKeys = {
  DATABASE_URL: documented(
    z
      .string({ error: 'is required' })
      .refine(
        (url) => /^postgres(ql)?:\/\//.test(url),
        'must be a postgres:// or postgresql:// URL',
      ),
    {
      group: 'postgres',
      secret: 'url-password',
      example: 'postgresql://order_service@127.0.0.1:5432/orders',
      description: "`postgresql://` (or `postgres://`) URL of the service's database",
    },
  ),
  DATABASE_POOL_SIZE: documented(z.coerce.number().int().min(1).max(200).default(10), {
    group: 'postgres',
    description: 'connections for the HTTP API',
  }),
  DATABASE_WORKER_POOL_SIZE: documented(z.coerce.number().int().min(2).max(200).default(6), {
    group: 'postgres',
    description:
      'connections for the saga consumer and the deadline sweeper: a pool of their own, so a flood of API requests cannot make the saga miss its deadlines (the outbox relay keeps 4 more, and its lock connection)',
  }),
  DATABASE_CONNECT_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'postgres',
    description: 'how long a request waits for a pooled connection before the API answers 503',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(5_000), {
    group: 'postgres',
    description:
      'Postgres cancels any statement running longer (`statement_timeout`); the API answers 503',
  }),
};

export type PostgresSettings = SettingsOf<typeof postgresKeys>;

/** libpq's modes that check the server's certificate; `require` encrypts but trusts anyone. */
const VERIFYING_SSL_MODES = ['verify-full', 'verify-ca'];

export function databaseTlsVerified(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return VERIFYING_SSL_MODES.includes(new URL(url).searchParams.get('sslmode') ?? '');
  } catch {
    return false;
  }
}

export const postgresRules = [
  secureInProduction<PostgresSettings & ProcessSettings>(
    'postgres',
    'DATABASE_URL',
    (config) => databaseTlsVerified(config.DATABASE_URL),
    'needs sslmode=verify-full or sslmode=verify-ca',
  ),
];

export function postgresOptions(config: PostgresSettings) {
  return {
    connection: {
      url: config.DATABASE_URL,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    apiPoolSize: config.DATABASE_POOL_SIZE,
    workerPoolSize: config.DATABASE_WORKER_POOL_SIZE,
  };
}
