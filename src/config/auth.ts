import { z } from 'zod';
import type { AuthenticationSettings } from '../entry-points/http/authentication';
import {
  documented,
  isLoopback,
  optional,
  type CrossKeyRule,
  type SettingsOf,
} from './documented-keys';
import type { ProcessSettings } from './process';

/** Who may call the API (bearer tokens) and how often (rate limits counted in Postgres). */
export const authKeys = {
  AUTH_MODE: documented(z.enum(['jwt', 'none']).default('jwt'), {
    group: 'auth',
    description:
      '`jwt`: every API call needs a bearer token; `none`: no checks (local development, tests), only with `NODE_ENV=development` or `test` set explicitly',
  }),
  AUTH_JWT_SECRET: documented(optional(z.string().min(32, 'must be at least 32 characters')), {
    group: 'auth',
    secret: 'value',
    description:
      'HS256 shared key, at least 32 characters; `AUTH_MODE=jwt` needs this or `AUTH_JWKS_URL`, not both',
  }),
  AUTH_JWKS_URL: documented(
    optional(
      z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .refine(
          (url) => url.startsWith('https:') || isLoopback(new URL(url)),
          'must be https (plain http only on localhost)',
        ),
    ),
    {
      group: 'auth',
      description:
        "the identity provider's JSON Web Key Set (RS256, ES256), e.g. `https://idp.example.com/.well-known/jwks.json`; https, or http on localhost; its keys are cached and refreshed",
    },
  ),
  AUTH_ISSUER: documented(optional(z.string().min(1)), {
    group: 'auth',
    description:
      "when set, every token's `iss` must equal it; required with `AUTH_JWKS_URL` and `NODE_ENV=production`",
  }),
  AUTH_AUDIENCE: documented(optional(z.string().min(1)), {
    group: 'auth',
    description:
      "when set, every token's `aud` must hold it; required with `AUTH_JWKS_URL` and `NODE_ENV=production`, so a token the provider minted for another application is refused",
  }),
  AUTH_TOKEN_TYPES: documented(z.enum(['access', 'access-or-jwt']).default('access-or-jwt'), {
    group: 'auth',
    description:
      'the JOSE `typ` header a token may carry: `access` only `at+jwt` (RFC 9068 access tokens); `access-or-jwt` also `JWT` or none, for providers that do not mark access tokens; ID tokens (a `nonce`, `at_hash`, `c_hash`, or `typ: ID` claim) and other types are always refused',
  }),
  AUTH_ROLES_CLAIM: documented(
    z
      .string()
      .regex(/^[\w:/-]+(\.[\w:/-]+)*$/, 'must be a claim name or a dotted path to one')
      .default('roles'),
    {
      group: 'auth',
      description:
        'the claim holding the list of roles (`operator` makes an operator); a dotted path reaches into objects, e.g. `realm_access.roles` for Keycloak',
    },
  ),
  AUTH_MAX_TOKEN_AGE_SECONDS: documented(z.coerce.number().int().min(0).default(3_600), {
    group: 'auth',
    description:
      'tokens issued longer ago than this (their `iat`) are refused, whatever their `exp`, and a token without `iat` too; `0` turns the bound off',
  }),
  AUTH_JWKS_CACHE_SECONDS: documented(z.coerce.number().int().min(1).default(600), {
    group: 'auth',
    description:
      'how long a fetched key set is used before it is fetched again in the background (a token naming an unknown key fetches it at once, at most every 30 s)',
  }),
  AUTH_JWKS_GRACE_SECONDS: documented(z.coerce.number().int().min(0).default(3_600), {
    group: 'auth',
    description:
      'while the key set cannot be fetched, the last one fetched stays in use this long after it was fetched; past it, API calls get 503',
  }),
  RATE_LIMIT_PER_MINUTE: documented(z.coerce.number().int().min(0).default(60), {
    group: 'auth',
    description:
      'orders one caller (token subject) may create per minute, counted across all instances in Postgres; only accepted orders count; `0` turns the limit off',
  }),
  RATE_LIMIT_READS_PER_MINUTE: documented(z.coerce.number().int().min(0).default(600), {
    group: 'auth',
    description:
      'order reads and lists one caller may make per minute, across all instances; `0` turns the limit off',
  }),
  RATE_LIMIT_CANCELS_PER_MINUTE: documented(z.coerce.number().int().min(0).default(60), {
    group: 'auth',
    description:
      'cancellations one caller may ask for per minute, answered or refused, across all instances; `0` turns the limit off',
  }),
};

export type AuthSettings = SettingsOf<typeof authKeys>;

export const authRules: CrossKeyRule<AuthSettings & ProcessSettings>[] = [
  {
    // Forgetting NODE_ENV must not switch authentication off in a deployment.
    keys: ['AUTH_MODE', 'NODE_ENV'],
    check: (config) =>
      config.AUTH_MODE === 'none' && config.NODE_ENV !== 'development' && config.NODE_ENV !== 'test'
        ? {
            key: 'AUTH_MODE',
            message:
              config.NODE_ENV === 'production'
                ? 'must be jwt when NODE_ENV=production'
                : 'none needs NODE_ENV=development or NODE_ENV=test set explicitly',
          }
        : undefined,
  },
  {
    // A provider serves many applications: without both, its tokens for any of them are ours.
    keys: ['AUTH_MODE', 'AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE', 'NODE_ENV'],
    check: (config) => {
      if (config.AUTH_MODE !== 'jwt' || !config.AUTH_JWKS_URL || config.NODE_ENV !== 'production')
        return undefined;
      const missing = (['AUTH_ISSUER', 'AUTH_AUDIENCE'] as const).find((key) => !config[key]);
      return missing
        ? { key: missing, message: 'is required with AUTH_JWKS_URL when NODE_ENV=production' }
        : undefined;
    },
  },
  {
    keys: ['AUTH_MODE', 'AUTH_JWT_SECRET', 'AUTH_JWKS_URL'],
    check: (config) => {
      if (config.AUTH_MODE !== 'jwt') return undefined;
      const given = [config.AUTH_JWT_SECRET, config.AUTH_JWKS_URL].filter(Boolean).length;
      if (given === 1) return undefined;
      return given === 0
        ? { key: 'AUTH_JWT_SECRET', message: 'or AUTH_JWKS_URL is required when AUTH_MODE=jwt' }
        : { key: 'AUTH_JWKS_URL', message: 'and AUTH_JWT_SECRET exclude each other; set one' };
    },
  },
];

export function authOptions(config: AuthSettings) {
  const authentication: AuthenticationSettings = {
    mode: config.AUTH_MODE,
    secret: config.AUTH_JWT_SECRET,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    tokenTypes: config.AUTH_TOKEN_TYPES,
    rolesClaim: config.AUTH_ROLES_CLAIM,
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
    jwksCacheSeconds: config.AUTH_JWKS_CACHE_SECONDS,
    jwksGraceSeconds: config.AUTH_JWKS_GRACE_SECONDS,
  };
  const rateLimitsPerMinute = {
    create: config.RATE_LIMIT_PER_MINUTE,
    read: config.RATE_LIMIT_READS_PER_MINUTE,
    cancel: config.RATE_LIMIT_CANCELS_PER_MINUTE,
  };
  return { authentication, rateLimitsPerMinute };
}
