import {
  createLocalJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';

export interface RemoteKeySetOptions {
  url: URL;
  /** A fetched set is fresh this long; after it, it is fetched again in the background. */
  cacheMs: number;
  /** Past `cacheMs`, while fetches fail, the last set stays in use this much longer. */
  graceMs: number;
  timeoutMs?: number;
  now?: () => number;
}

/** Thrown when no usable key set can be had: a 503, never the client's fault. */
export class KeySetUnavailableError extends Error {
  override name = 'KeySetUnavailableError';
}

/**
 * An identity provider's JWKS, kept through its outages. jose's createRemoteJWKSet refetches
 * once `cacheMaxAge` has passed and, when that fetch fails, fails every token until one works:
 * a provider down for a minute after the ten-minute mark stops the API. Here a stale set is
 * refreshed in the background while it keeps verifying, for up to `graceMs` past its age;
 * after that, and with no set at all, tokens get 503. A token naming a key the set lacks (the
 * provider rotated) fetches at once. Fetches go out one at a time, and at most once per
 * cooldown (30 s, or `cacheMs` if shorter), so an outage or a flood of made-up key ids costs
 * the provider nothing.
 */
export function remoteKeySet(options: RemoteKeySetOptions): JWTVerifyGetKey {
  const { url, cacheMs, graceMs, timeoutMs = 5_000, now = Date.now } = options;
  const cooldownMs = Math.min(30_000, cacheMs);
  let keys: JWTVerifyGetKey | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastFailure: unknown;
  let inFlight: Promise<void> | undefined;

  async function fetchKeys(): Promise<void> {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
      redirect: 'error',
    });
    if (!response.ok) throw new Error(`the key set answered HTTP ${response.status}`);
    keys = createLocalJWKSet((await response.json()) as JSONWebKeySet);
    fetchedAt = now();
  }

  function refresh(): Promise<void> {
    if (!inFlight) {
      attemptedAt = now();
      inFlight = fetchKeys()
        .catch((error: unknown) => {
          lastFailure = error;
          throw error;
        })
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  }

  const coolingDown = () => now() - attemptedAt < cooldownMs;

  return async (header, token) => {
    const age = now() - fetchedAt;
    if (!keys || age >= cacheMs + graceMs) {
      if (coolingDown() && !inFlight) throw unavailable(lastFailure);
      await refresh().catch((error: unknown) => {
        throw unavailable(error);
      });
    } else if (age >= cacheMs && !coolingDown()) {
      refresh().catch(() => undefined); // keeps the stale set meanwhile
    }
    const current = keys as JWTVerifyGetKey;
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || coolingDown()) throw error;
      // The provider may have rotated its keys since the last fetch.
      await refresh().catch(() => undefined);
      return (keys as JWTVerifyGetKey)(header, token);
    }
  };
}

const unavailable = (cause: unknown) =>
  new KeySetUnavailableError('the identity provider key set cannot be fetched', { cause });
