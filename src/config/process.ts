import { z } from 'zod';
import { documented, optional, type CrossKeyRule, type SettingsOf } from './documented-keys';

/** The links whose TLS production requires, each of which ALLOW_INSECURE_TRANSPORT may exempt. */
export const INSECURE_LINKS = ['postgres', 'kafka', 'registry'] as const;
export type InsecureLink = (typeof INSECURE_LINKS)[number];

/** The process as a whole: its environment, how much it logs, how long it may take to stop. */
export const processKeys = {
  SHUTDOWN_TIMEOUT_MS: documented(z.coerce.number().int().min(0).default(10_000), {
    group: 'http',
    description:
      'one deadline for the whole shutdown on SIGTERM/SIGINT; past it the process exits 1 naming what was still running',
  }),
  LOG_LEVEL: documented(
    z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).default('info'),
    {
      group: 'http',
      description: 'how much is logged; `http` adds one line per request',
    },
  ),
  NODE_ENV: documented(optional(z.enum(['development', 'test', 'production'])), {
    group: 'http',
    description:
      '`production` refuses SASL PLAIN without TLS, registry basic auth over http, any link without verified TLS (see `ALLOW_INSECURE_TRANSPORT`), `TRUST_PROXY=true` and a JWKS without `AUTH_ISSUER` and `AUTH_AUDIENCE`, and opens the admin port on every interface unless `ADMIN_HOST` says otherwise; `AUTH_MODE=none` needs `development` or `test`, set explicitly; unset otherwise counts as development',
  }),
  ALLOW_INSECURE_TRANSPORT: documented(
    z
      .string()
      .default('')
      .transform((text) =>
        text
          .split(',')
          .map((link) => link.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(INSECURE_LINKS, { error: 'lists only postgres, kafka, registry' }))),
    {
      group: 'http',
      description:
        'comma list of `postgres`, `kafka`, `registry`: links that may run without verified TLS when `NODE_ENV=production` (else `DATABASE_URL` needs `sslmode=verify-full` or `verify-ca`, `KAFKA_SSL=true`, an https registry); each one named logs a warning at start-up; for loopback set-ups only',
    },
  ),
};

export type ProcessSettings = SettingsOf<typeof processKeys>;

/**
 * In production every link is encrypted and its server verified, or named in
 * ALLOW_INSECURE_TRANSPORT: a man in the middle of the registry link could swap writer schemas,
 * of the database or broker link read and change orders. Each link's part states its own.
 */
export function secureInProduction<Settings extends ProcessSettings>(
  link: InsecureLink,
  key: keyof Settings & string,
  secure: (config: Settings) => boolean,
  message: string,
): CrossKeyRule<Settings> {
  return {
    keys: [key, 'NODE_ENV', 'ALLOW_INSECURE_TRANSPORT'],
    check: (config) =>
      config.NODE_ENV === 'production' &&
      !config.ALLOW_INSECURE_TRANSPORT.includes(link) &&
      !secure(config)
        ? {
            key,
            message: `${message} when NODE_ENV=production (or ALLOW_INSECURE_TRANSPORT=${link})`,
          }
        : undefined,
  };
}

/**
 * One warning per link that production runs without verified TLS because
 * ALLOW_INSECURE_TRANSPORT names it, for start-up to log loudly; nothing outside production.
 */
export function insecureTransportWarnings(
  config: Pick<ProcessSettings, 'NODE_ENV' | 'ALLOW_INSECURE_TRANSPORT'>,
): { message: string; link: InsecureLink }[] {
  if (config.NODE_ENV !== 'production') return [];
  return [...new Set(config.ALLOW_INSECURE_TRANSPORT)].map((link) => ({
    message: `INSECURE TRANSPORT: the ${link} link runs without verified TLS in production (ALLOW_INSECURE_TRANSPORT=${link}); anyone on the path can read and change what it carries`,
    link,
  }));
}

export function processOptions(config: ProcessSettings) {
  return { logLevel: config.LOG_LEVEL, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS };
}
