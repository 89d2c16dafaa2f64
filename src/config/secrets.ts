import { CONFIG_KEYS, configObject, type Config } from './config-schema';
import type { ConfigKeyDoc } from './documented-keys';
import { keyDocumentation } from './documented-keys';
import { secretsInUrl } from '../shared/redaction';

const keysWithSecret = (secret: ConfigKeyDoc['secret']): readonly string[] =>
  CONFIG_KEYS.filter((key) => keyDocumentation.get(configObject.shape[key])?.secret === secret);

/** Keys whose values are secrets: never echoed, not even in a configuration error. */
export const SECRET_KEYS = keysWithSecret('value');
/** Keys holding a URL whose password is a secret. */
const URL_PASSWORD_KEYS = keysWithSecret('url-password');

/** Every secret value in a config, to scrub from anything the service writes. */
export function secretsOf(config: Partial<Config>): string[] {
  const value = (key: string) => config[key as keyof Config] as string | undefined;
  return [
    ...URL_PASSWORD_KEYS.flatMap((key) => secretsInUrl(value(key))),
    ...SECRET_KEYS.map(value),
  ].filter((secret): secret is string => !!secret);
}
