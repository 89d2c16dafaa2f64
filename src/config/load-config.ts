import { z } from 'zod';
import { redactUrls } from '../shared/redaction';
import {
  CONFIG_KEYS,
  configObject,
  CROSS_KEY_RULES,
  type Config,
  type ConfigKey,
} from './config-schema';
import { SECRET_KEYS } from './secrets';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the error message names every bad key on one line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnvironment(withRules(configObject, CONFIG_KEYS), env);
}

/**
 * Only some keys, with the same rules: for operator commands that run beside the service and
 * must not demand settings they never read.
 */
export function loadConfigKeys<Key extends ConfigKey>(
  keys: readonly Key[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, Key> {
  const mask = Object.fromEntries(keys.map((key) => [key, true])) as { [K in ConfigKey]?: true };
  // zod cannot carry the generic key set through pick(); the parsed object has exactly these keys.
  return parseEnvironment(withRules(configObject.pick(mask), keys), env) as unknown as Pick<
    Config,
    Key
  >;
}

/** The schema plus every cross-key rule whose keys are all among `keys`. */
function withRules<Schema extends z.ZodObject>(schema: Schema, keys: readonly ConfigKey[]) {
  const rules = CROSS_KEY_RULES.filter((rule) => rule.keys.every((key) => keys.includes(key)));
  return schema.superRefine((config, ctx) => {
    for (const rule of rules) {
      const problem = rule.check(config as unknown as Config);
      if (problem) ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
    }
  });
}

function parseEnvironment<Schema extends z.ZodType>(
  schema: Schema,
  env: NodeJS.ProcessEnv,
): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    return `${key} ${issue.message} (${received(key, env[key])})`;
  });
  throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
}

/** What was set, as far as it may be shown: never a secret, never a URL's password. */
function received(key: string, value: string | undefined): string {
  if (value === undefined) return 'missing';
  if (SECRET_KEYS.includes(key)) return `a value of ${value.length} characters, not shown`;
  return `got ${JSON.stringify(redactUrls(value))}`;
}
