import { webcrypto } from 'node:crypto';
import {
  errors as joseErrors,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyResult,
} from 'jose';
import { AppError, UnauthorizedError } from '../../shared/app-error';
import { LruCache } from '../../shared/lru-cache';
import { normaliseIdentifier } from '../../shared/safe-text';
import { remoteKeySet } from './remote-key-set';
import type { Step } from './request-steps';
import './request-fields';

export interface AuthenticationSettings {
  mode: 'jwt' | 'none';
  /** HS256 shared secret; or else `jwksUrl`. */
  secret?: string;
  /** JWKS of an identity provider (RS256, ES256). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** `access`: only `typ: at+jwt` (RFC 9068); `access-or-jwt` (default): also `JWT` or none. */
  tokenTypes?: 'access' | 'access-or-jwt';
  /** The claim holding the roles, or a dotted path to it; default `roles`. */
  rolesClaim?: string;
  /** Tokens issued (`iat`) longer ago are refused; 0 or unset: no bound. */
  maxTokenAgeSeconds?: number;
  /** How long a fetched JWKS is fresh, and how long past that it is kept while fetches fail. */
  jwksCacheSeconds?: number;
  jwksGraceSeconds?: number;
}

/** Clocks of the token issuer and of this service may disagree by this much. */
export const CLOCK_TOLERANCE_SECONDS = 30;
export const OPERATOR_ROLE = 'operator';
const REALM = 'order-service';

/**
 * The keys a JWKS set may hold. HS256 is never accepted from a JWKS (a public key used as an
 * HMAC secret is the classic algorithm-confusion attack), nor `none` from anywhere.
 */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/** JOSE `typ` values (compared without case or an `application/` prefix, as RFC 7515 allows). */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt']);
const PLAIN_TOKEN_TYPES = new Set(['jwt', undefined]);
/** Claims only OpenID Connect ID tokens carry: an ID token is proof of login, not of access. */
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'];
/**
 * Verified tokens kept, by their exact text: a client sends the same token on every call, and
 * checking its signature again was a tenth of intake's CPU (issue 23). Bounded, so many
 * distinct valid tokens only evict each other; a refused token is never kept.
 */
export const VERIFIED_TOKENS_KEPT = 4_096;

/** Bearer tokens (RFC 6750) validated with jose, or no checks at all with AUTH_MODE=none. */
export function authenticate(settings: AuthenticationSettings): Step {
  if (settings.mode === 'none') {
    return (req, _res, next) => {
      req.caller = { kind: 'unauthenticated' };
      next();
    };
  }
  const readToken = createTokenReader(settings);
  return async (req, _res, next) => {
    const token = await readToken(req.headers.authorization);
    req.caller = token.roles.includes(OPERATOR_ROLE)
      ? { kind: 'operator', subject: token.subject }
      : { kind: 'customer', customerId: token.subject };
    next();
  };
}

/** Who a verified token names, and the roles its roles claim grants. */
export interface VerifiedToken {
  subject: string;
  roles: readonly string[];
}

/**
 * The whole token check, for any entry point that takes bearer tokens (the API, the console):
 * header syntax, signature, claims, token type and the roles claim. Rejects with an
 * UnauthorizedError (401) or a retriable `authentication-unavailable` (503).
 */
export function createTokenReader(
  settings: AuthenticationSettings,
  now: () => number = Date.now,
): (authorizationHeader: string | undefined) => Promise<VerifiedToken> {
  const verify = tokenVerifier(settings, now);
  const rolesPath = (settings.rolesClaim ?? 'roles').split('.');
  const verified = new LruCache<string, VerifiedToken>(VERIFIED_TOKENS_KEPT, now);
  return async (header) => {
    const token = bearerToken(header);
    const known = verified.get(token);
    if (known) return known;
    const { payload, protectedHeader } = await verify(token);
    checkTokenType(protectedHeader.typ, payload, settings.tokenTypes ?? 'access-or-jwt');
    const holder = tokenHolder(payload, rolesPath);
    const keepMs = verifiedTokenLifetimeMs(payload, settings, now());
    if (keepMs > 0) verified.set(token, holder, keepMs);
    return holder;
  };
}

/**
 * How long a verified token may be taken as verified without checking it again: until its `exp`
 * and, with an age bound, until `iat` + that bound (clock tolerance not added: past either, the
 * next call checks it in full, tolerance included). Only with a shared secret, which is fixed for
 * the process: with a JWKS, every call goes through the key set, as its refresh, its grace and
 * its 503 once the grace is over are driven by the calls (remote-key-set.ts).
 */
export function verifiedTokenLifetimeMs(
  payload: JWTPayload,
  settings: AuthenticationSettings,
  nowMs: number,
): number {
  if (!settings.secret) return 0;
  const until = [(payload.exp as number) * 1_000];
  if (settings.maxTokenAgeSeconds && payload.iat !== undefined) {
    until.push((payload.iat + settings.maxTokenAgeSeconds) * 1_000);
  }
  return Math.min(...until) - nowMs;
}

/** Refuses ID tokens and tokens of other types (logout, DPoP proofs...) signed by the same keys. */
function checkTokenType(
  typ: string | undefined,
  payload: JWTPayload,
  accepted: 'access' | 'access-or-jwt',
): void {
  const type = typ?.toLowerCase().replace(/^application\//, '');
  const typeAccepted =
    ACCESS_TOKEN_TYPES.has(type ?? '') ||
    (accepted === 'access-or-jwt' && PLAIN_TOKEN_TYPES.has(type));
  if (!typeAccepted) throw invalidToken('The token is not an access token of an accepted type');
  const idTokenClaim = ID_TOKEN_CLAIMS.some((claim) => payload[claim] !== undefined);
  if (idTokenClaim || String(payload.typ).toLowerCase() === 'id') {
    throw invalidToken('An ID token is not an access token');
  }
}

function tokenVerifier(
  settings: AuthenticationSettings,
  now: () => number,
): (token: string) => Promise<JWTVerifyResult> {
  const maxTokenAge = settings.maxTokenAgeSeconds || undefined;
  const options = {
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    maxTokenAge,
    // A token without an expiry would be valid forever; with an age bound, its age must show.
    requiredClaims: ['sub', 'exp', ...(maxTokenAge ? ['iat'] : [])],
  };
  const verifyWith = (key: Promise<CryptoKey> | JWTVerifyGetKey, algorithms: string[]) => {
    return async (token: string) => {
      try {
        const resolved = typeof key === 'function' ? key : await key;
        return await jwtVerify(token, resolved as JWTVerifyGetKey, {
          ...options,
          algorithms,
          currentDate: new Date(now()),
        });
      } catch (error) {
        throw verificationFailure(error);
      }
    };
  };
  if (settings.secret) {
    // Imported once: given the raw secret, jose imports it on every call (measured: 136 µs a
    // token that way, 91 µs with the key imported once).
    const key = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(settings.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    ) as Promise<CryptoKey>;
    return verifyWith(key, ['HS256']);
  }
  if (!settings.jwksUrl) throw new Error('AUTH_MODE=jwt needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
  const keys = remoteKeySet({
    url: new URL(settings.jwksUrl),
    cacheMs: (settings.jwksCacheSeconds ?? 600) * 1_000,
    graceMs: (settings.jwksGraceSeconds ?? 3_600) * 1_000,
  });
  return verifyWith(keys, JWKS_ALGORITHMS);
}

function bearerToken(header: string | undefined): string {
  if (header === undefined) {
    throw new UnauthorizedError('A bearer token is required', `Bearer realm="${REALM}"`);
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match?.[1]) throw invalidToken('The Authorization header is not a bearer token');
  return match[1];
}

/** The subject and roles of a verified token. */
function tokenHolder(payload: JWTPayload, rolesPath: string[]): VerifiedToken {
  const roles = rolesPath.reduce<unknown>(
    (value, name) =>
      value !== null && typeof value === 'object' && Object.hasOwn(value, name)
        ? (value as Record<string, unknown>)[name]
        : undefined,
    payload,
  );
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) {
    throw invalidToken('The roles claim must be a list of strings');
  }
  const subject = typeof payload.sub === 'string' ? normaliseIdentifier(payload.sub) : undefined;
  if (subject === undefined) throw invalidToken('The token subject is not a usable id');
  return { subject, roles: (roles as string[] | undefined) ?? [] };
}

/** What a client may learn about why its token failed; nothing about our keys or settings. */
const REASONS: Record<string, string> = {
  [joseErrors.JWTExpired.code]: 'The token has expired',
  [joseErrors.JWTClaimValidationFailed.code]: 'A claim of the token is not accepted',
  [joseErrors.JWSSignatureVerificationFailed.code]: 'The token signature is not valid',
  [joseErrors.JOSEAlgNotAllowed.code]: 'The token algorithm is not accepted',
  [joseErrors.JOSENotSupported.code]: 'The token algorithm is not accepted',
  [joseErrors.JWSInvalid.code]: 'The token is malformed',
  [joseErrors.JWTInvalid.code]: 'The token is malformed',
  [joseErrors.JWKSNoMatchingKey.code]: 'No key matches the token',
  [joseErrors.JWKSMultipleMatchingKeys.code]: 'No single key matches the token',
};

function verificationFailure(error: unknown): AppError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? REASONS[code] : undefined;
  if (reason) {
    const claim = (error as { claim?: unknown }).claim;
    return invalidToken(
      code === joseErrors.JWTClaimValidationFailed.code && typeof claim === 'string'
        ? `The ${claim} claim of the token is not accepted`
        : reason,
    );
  }
  // The key set could not be fetched (timeout, network, a broken answer): not the client's
  // fault, and worth retrying.
  return new AppError(
    'authentication-unavailable',
    'Tokens cannot be checked right now; retry later',
    { retriable: true, cause: error },
  );
}

function invalidToken(description: string): UnauthorizedError {
  return new UnauthorizedError(
    description,
    `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
  );
}
