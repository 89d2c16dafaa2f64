import { z } from 'zod';
import { CONFIG_KEYS, configObject, type ConfigKey } from './config-schema';
import { keyDocumentation, type ConfigKeyDoc } from './documented-keys';

/** A key's documentation as the schema holds it, plus what the schema itself says. */
export interface ConfigKeyDocumentation extends ConfigKeyDoc {
  key: ConfigKey;
  /** No default: the service refuses to start without it. */
  required: boolean;
  /** The value in effect when the key is unset, as the environment spells it. */
  default?: string;
  /** The values the key accepts, when it takes one of a fixed set of words. */
  values?: readonly string[];
}

/** Every key in schema order, documented: the source of docs/configuration.md and .env.example. */
export function configDocumentation(): ConfigKeyDocumentation[] {
  return CONFIG_KEYS.map((key) => {
    const schema: z.ZodType = configObject.shape[key];
    const doc = keyDocumentation.get(schema);
    if (!doc) throw new Error(`${key} has no documentation in src/config/`);
    const unset = schema.safeParse(undefined);
    const { enum: words } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    // Words that parse to themselves; booleans are spelled as words too, but parse to true/false.
    const values = words?.every((word) => schema.safeParse(word).data === word)
      ? words.map(String)
      : undefined;
    return {
      key,
      ...doc,
      required: !unset.success,
      ...(unset.success && unset.data !== undefined && { default: String(unset.data) }),
      ...(values && { values }),
    };
  });
}
