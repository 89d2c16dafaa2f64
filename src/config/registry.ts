import { z } from 'zod';
import type { RegistryConnection } from '../messaging/schema-registry-client';
import {
  bothOrNeither,
  documented,
  optional,
  readableFile,
  type CrossKeyRule,
  type SettingsOf,
} from './documented-keys';
import { secureInProduction, type ProcessSettings } from './process';

/** The schema registry: where, its credentials and TLS, and the compatibility level we set. */
export const registryKeys = {
  SCHEMA_REGISTRY_URL: documented(
    z
      .string({ error: 'is required' })
      .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
      .refine(
        (url) => !new URL(url).username && !new URL(url).password,
        'must not carry credentials; set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD',
      ),
    {
      group: 'registry',
      example: 'http://127.0.0.1:8081',
      description:
        '`http(s)://` base URL, without credentials in it (`SCHEMA_REGISTRY_USERNAME` and `SCHEMA_REGISTRY_PASSWORD` carry them)',
    },
  ),
  SCHEMA_REGISTRY_USERNAME: documented(optional(z.string().min(1)), {
    group: 'registry',
    description:
      'HTTP basic auth to the registry, with `SCHEMA_REGISTRY_PASSWORD`; https only in production',
  }),
  SCHEMA_REGISTRY_PASSWORD: documented(optional(z.string().min(1)), {
    group: 'registry',
    secret: 'value',
    description: 'HTTP basic auth password, with `SCHEMA_REGISTRY_USERNAME`',
  }),
  SCHEMA_REGISTRY_CA_FILE: documented(readableFile(), {
    group: 'registry',
    description: 'PEM CA bundle for an https registry signed by a private CA',
  }),
  SCHEMA_REGISTRY_CERT_FILE: documented(readableFile(), {
    group: 'registry',
    description:
      'PEM client certificate, for an https registry that requires one; with `SCHEMA_REGISTRY_KEY_FILE`',
  }),
  SCHEMA_REGISTRY_KEY_FILE: documented(readableFile(), {
    group: 'registry',
    description:
      "the client certificate's unencrypted PEM key (protect it as a secret file); with `SCHEMA_REGISTRY_CERT_FILE`",
  }),
  SCHEMA_REGISTRY_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(10_000), {
    group: 'registry',
    description:
      'how long one registry request may take before it fails (and is retried, never dead-lettered): a registry that accepts connections and never answers must not stall consumption',
  }),
  SCHEMA_COMPATIBILITY: documented(
    z
      .enum([
        'BACKWARD',
        'BACKWARD_TRANSITIVE',
        'FORWARD',
        'FORWARD_TRANSITIVE',
        'FULL',
        'FULL_TRANSITIVE',
        'NONE',
      ])
      .default('FULL_TRANSITIVE'),
    {
      group: 'registry',
      description:
        'compatibility level the service sets on the subjects it produces, before registering, so the registry refuses any schema change that breaks it; with `FULL_TRANSITIVE` every registered version can read data written with every other, so consumers on any version keep working',
    },
  ),
};

export type RegistrySettings = SettingsOf<typeof registryKeys>;
type Rule = CrossKeyRule<RegistrySettings & ProcessSettings>;

const isHttps = (config: RegistrySettings) =>
  config.SCHEMA_REGISTRY_URL?.startsWith('https:') ?? false;

export const registryRules: Rule[] = [
  secureInProduction<RegistrySettings & ProcessSettings>(
    'registry',
    'SCHEMA_REGISTRY_URL',
    isHttps,
    'must be https',
  ),
  bothOrNeither('SCHEMA_REGISTRY_USERNAME', 'SCHEMA_REGISTRY_PASSWORD'),
  bothOrNeither('SCHEMA_REGISTRY_CERT_FILE', 'SCHEMA_REGISTRY_KEY_FILE'),
  {
    keys: ['SCHEMA_REGISTRY_URL', 'SCHEMA_REGISTRY_CA_FILE', 'SCHEMA_REGISTRY_CERT_FILE'],
    check: (config) =>
      !isHttps(config) && (config.SCHEMA_REGISTRY_CA_FILE || config.SCHEMA_REGISTRY_CERT_FILE)
        ? {
            key: 'SCHEMA_REGISTRY_URL',
            message: 'must be https when SCHEMA_REGISTRY_*_FILE is set',
          }
        : undefined,
  },
  {
    // Basic auth over plain http hands the password to anyone on the path.
    keys: ['SCHEMA_REGISTRY_URL', 'SCHEMA_REGISTRY_USERNAME', 'NODE_ENV'],
    check: (config) =>
      config.SCHEMA_REGISTRY_USERNAME && !isHttps(config) && config.NODE_ENV === 'production'
        ? {
            key: 'SCHEMA_REGISTRY_URL',
            message: 'must be https with SCHEMA_REGISTRY_USERNAME when NODE_ENV=production',
          }
        : undefined,
  },
];

/** The keys of a registry connection: the service, the DLQ tool and schemas:register. */
export const REGISTRY_CONNECTION_KEYS = [
  'SCHEMA_REGISTRY_URL',
  'SCHEMA_REGISTRY_USERNAME',
  'SCHEMA_REGISTRY_PASSWORD',
  'SCHEMA_REGISTRY_CA_FILE',
  'SCHEMA_REGISTRY_CERT_FILE',
  'SCHEMA_REGISTRY_KEY_FILE',
  'SCHEMA_REGISTRY_TIMEOUT_MS',
] as const satisfies readonly (keyof RegistrySettings)[];

export function registryConnectionOf(
  config: Pick<RegistrySettings, (typeof REGISTRY_CONNECTION_KEYS)[number]>,
): RegistryConnection {
  return {
    url: config.SCHEMA_REGISTRY_URL,
    username: config.SCHEMA_REGISTRY_USERNAME,
    password: config.SCHEMA_REGISTRY_PASSWORD,
    caFile: config.SCHEMA_REGISTRY_CA_FILE,
    certFile: config.SCHEMA_REGISTRY_CERT_FILE,
    keyFile: config.SCHEMA_REGISTRY_KEY_FILE,
    timeoutMs: config.SCHEMA_REGISTRY_TIMEOUT_MS,
  };
}

export function registryOptions(config: RegistrySettings) {
  return {
    connection: registryConnectionOf(config),
    compatibility: config.SCHEMA_COMPATIBILITY,
  };
}
