import { z } from 'zod';

/**
 * The whole environment the service reads, in one schema. Every key is documented in
 * README.md and .env.example; `loadConfig` refuses to start on a bad or missing value.
 */
const booleanFromString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** HTTP port; 0 picks a free one (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string({ error: 'is required' })
    .refine((url) => /^postgres(ql)?:\/\//.test(url), 'must be a postgres:// or postgresql:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** How long a request waits for a pooled connection before the API answers 503. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug', 'silent']).default('info'),
  /** Time allowed for in-flight work to finish on SIGTERM before connections are cut. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Trust X-Forwarded-* from a proxy in front (express `trust proxy`). */
  TRUST_PROXY: booleanFromString.default(false),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error message names every bad key on one line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const received = env[key] === undefined ? 'missing' : `got ${JSON.stringify(env[key])}`;
    return `${key} ${issue.message} (${received})`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}
