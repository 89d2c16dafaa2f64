import { z } from 'zod';

/**
 * The four keys the DLQ tool reads, and nothing else of the service's configuration: it runs
 * next to the service (same database, brokers, registry and prefix) without its other settings.
 */
const cliConfigSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required' })
    .refine((url) => /^postgres(ql)?:\/\//.test(url), 'must be a postgres:// or postgresql:// URL'),
  KAFKA_BROKERS: z
    .string({ error: 'is required' })
    .transform((list) =>
      list
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .refine(
      (brokers) => brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d+$/.test(b)),
      'must be host:port[,host:port...]',
    ),
  SCHEMA_REGISTRY_URL: z
    .string({ error: 'is required' })
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/, 'may hold only letters, digits, ".", "_" and "-"')
    .default(''),
});

export type DlqConfig = z.infer<typeof cliConfigSchema>;

export class DlqConfigError extends Error {
  override name = 'DlqConfigError';
}

/** Parses the environment; the message names every bad key on one line, as the service does. */
export function loadDlqConfig(env: NodeJS.ProcessEnv): DlqConfig {
  const result = cliConfigSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const received = env[key] === undefined ? 'missing' : `got ${JSON.stringify(env[key])}`;
    return `${key} ${issue.message} (${received})`;
  });
  throw new DlqConfigError(`Invalid configuration: ${problems.join('; ')}`);
}
