import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';
import { bearer } from '../../support/auth-tokens';
import { fixture } from '../../support/fixtures/fixture';

const ISSUER = 'https://idp.test/realms/shop';
const AUDIENCE = 'order-service';
const CACHE_SECONDS = 1;
const GRACE_SECONDS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface IdentityProvider {
  /** Where its JWKS is served. */
  jwksUrl: string;
  privateKey: CryptoKey;
  /** How many times the JWKS was fetched. */
  fetches: number;
  /** Takes the provider down: its JWKS stops answering. */
  stop(): Promise<void>;
}

/** A JWKS served by a real HTTP server started here, with the key that signs its tokens. */
async function startIdentityProvider(): Promise<IdentityProvider> {
  const pair = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'ES256' };
  const server: Server = createServer((_req, res) => {
    provider.fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const provider: IdentityProvider = {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    privateKey: pair.privateKey,
    fetches: 0,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return provider;
}

/** The provider and the service trusting it, started before the block's tests. */
function serviceWithProvider(): { provider: IdentityProvider; app: TestService } {
  // Stopped twice when a test took it down: closing a closed server only calls back.
  const provider = fixture('identity provider', startIdentityProvider, (started) => started.stop());
  const app = fixture(
    'service',
    () =>
      startTestService({
        AUTH_MODE: 'jwt',
        AUTH_JWKS_URL: provider.jwksUrl,
        AUTH_ISSUER: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_TOKEN_TYPES: 'access',
        AUTH_ROLES_CLAIM: 'realm_access.roles',
        AUTH_MAX_TOKEN_AGE_SECONDS: '60',
        AUTH_JWKS_CACHE_SECONDS: String(CACHE_SECONDS),
        AUTH_JWKS_GRACE_SECONDS: String(GRACE_SECONDS),
      }),
    (started) => started.stop(),
  );
  return { provider, app };
}

interface Minted {
  typ?: string | null;
  claims?: JWTPayload;
  audience?: string;
  issuedSecondsAgo?: number | null;
}

/** An access token for `subject` as the provider mints them, unless told otherwise. */
async function token(provider: IdentityProvider, subject: string, options: Minted = {}) {
  const { typ = 'at+jwt', audience = AUDIENCE, issuedSecondsAgo = 0 } = options;
  const now = Math.floor(Date.now() / 1_000);
  const jwt = new SignJWT(options.claims ?? {})
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', ...(typ !== null && { typ }) })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setExpirationTime(now + 300);
  if (issuedSecondsAgo !== null) jwt.setIssuedAt(now - issuedSecondsAgo);
  return bearer(await jwt.sign(provider.privateKey));
}

/**
 * The service against an identity provider shared with other applications: a JWKS served by a
 * real HTTP server started here, tokens signed with its key as the provider would.
 */
describe('tokens from a shared identity provider', () => {
  const { provider, app } = serviceWithProvider();
  const tokenFor = (subject: string, options: Minted = {}) => token(provider, subject, options);

  /** Another customer's orders: an operator may list them, a customer may not. */
  const listOthers = (headers: Record<string, string>) =>
    fetch(`${app.url}/api/v1/orders?customerId=someone-else`, { headers });

  test('when an access token (typ at+jwt) carries the operator role under realm_access.roles, then its holder is an operator', async () => {
    const operator = await tokenFor('ops-1', { claims: { realm_access: { roles: ['operator'] } } });
    expect((await listOthers(operator)).status).toBe(200);
    expect((await listOthers(await tokenFor('ops-1', { typ: 'application/at+jwt' }))).status).toBe(
      403,
    );
  });

  test('when the operator role sits in the top-level roles claim, not the configured one, then the holder is a customer', async () => {
    const response = await listOthers(
      await tokenFor('cust-1', { claims: { roles: ['operator'] } }),
    );
    expect(response.status).toBe(403);
  });

  test('when a token was minted for another application at the same provider, then 401 naming the audience', async () => {
    const other = await tokenFor('ops-2', {
      audience: 'billing-console',
      claims: { realm_access: { roles: ['operator'] } },
    });
    const response = await listOthers(other);
    expect(response.status).toBe(401);
    expect((await readJson(response)).detail).toMatch(/aud/);
  });

  test.each([
    ['typ JWT, with AUTH_TOKEN_TYPES=access', { typ: 'JWT' }],
    ['no typ, with AUTH_TOKEN_TYPES=access', { typ: null }],
    ['a logout token type', { typ: 'logout+jwt' }],
    ['an ID token (nonce)', { claims: { nonce: 'n-0S6_WzA2Mj' } }],
    ['an ID token (at_hash)', { claims: { at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' } }],
    ['an ID token (typ claim ID, as Keycloak marks them)', { claims: { typ: 'ID' } }],
  ] as const)('when the token is %s, then 401', async (_case, options) => {
    const response = await listOthers(
      await tokenFor('ops-3', {
        ...options,
        claims: {
          realm_access: { roles: ['operator'] },
          ...('claims' in options && options.claims),
        },
      }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  test('when a token was issued longer ago than AUTH_MAX_TOKEN_AGE_SECONDS, or says nothing of when, then 401, though not expired', async () => {
    expect((await listOthers(await tokenFor('c-old', { issuedSecondsAgo: 120 }))).status).toBe(401);
    expect((await listOthers(await tokenFor('c-no-iat', { issuedSecondsAgo: null }))).status).toBe(
      401,
    );
    expect((await listOthers(await tokenFor('c-new', { issuedSecondsAgo: 30 }))).status).toBe(403);
  });
});

describe('tokens from a shared identity provider that goes down', () => {
  const { provider, app } = serviceWithProvider();

  test('when the provider goes down, then tokens still verify for the grace period, and get 503 with Retry-After after it', async () => {
    const customer = await token(provider, 'c-grace');
    const ok = async () => (await fetch(`${app.url}/api/v1/orders`, { headers: customer })).status;
    // A fresh fetch just before the outage: the set is stale after 1 s, so a request refetches it.
    await sleep(CACHE_SECONDS * 1_000 + 100);
    const before = provider.fetches;
    expect(await ok()).toBe(200);
    await sleep(200);
    expect(provider.fetches).toBeGreaterThan(before);

    await provider.stop();
    const downAt = Date.now();

    // jose's own cache would fail every token from the first refetch on, 1 s after the fetch.
    for (const atMs of [500, 2_500, 4_500]) {
      await sleep(downAt + atMs - Date.now());
      expect({ atMs, status: await ok() }).toEqual({ atMs, status: 200 });
    }
    // Past the cache age plus the grace since the last good fetch.
    await sleep(downAt + (CACHE_SECONDS + GRACE_SECONDS) * 1_000 + 300 - Date.now());
    const refused = await fetch(`${app.url}/api/v1/orders`, { headers: customer });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(await readJson(refused)).toMatchObject({ type: '/problems/authentication-unavailable' });
  });
});
