import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { readJson, startTestService, type TestService } from '../../support/order-service-harness';
import { bearer, customerToken, jwtSettings, mintToken } from '../../support/auth-tokens';
import { freePort } from '../../support/processes';
import { runningService } from '../../support/fixtures/running-service';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'order-service';

async function listOrders(app: TestService, headers: Record<string, string>) {
  return fetch(`${app.url}/api/v1/orders`, { headers });
}

/** A 401 as RFC 6750 and RFC 9457 say: a Bearer challenge and a problem document. */
async function expectRejected(response: Response, error?: 'invalid_token') {
  expect(response.status).toBe(401);
  const challenge = response.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer realm="order-service"/);
  if (error) expect(challenge).toContain(`error="${error}"`);
  else expect(challenge).not.toContain('error=');
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await readJson(response)).toMatchObject({ type: '/problems/unauthorized', status: 401 });
}

describe('authentication with an HS256 secret, issuer and audience', () => {
  const app = runningService({
    ...jwtSettings(),
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
  });
  const valid = { issuer: ISSUER, audience: AUDIENCE };

  test('when the token is valid, then the request is served', async () => {
    const response = await listOrders(app, bearer(await customerToken('c-1', valid)));
    expect(response.status).toBe(200);
  });

  test('when no token is sent, then 401 with a bare Bearer challenge', async () => {
    await expectRejected(await listOrders(app, {}));
  });

  test('when the token expired longer ago than the allowed clock skew, then 401 invalid_token', async () => {
    const expired = await customerToken('c-1', { ...valid, expiresIn: -60 });
    const response = await listOrders(app, bearer(expired));
    expect((await readJson(response.clone())).detail).toBe('The token has expired');
    await expectRejected(response, 'invalid_token');
  });

  test('when the token expired within the allowed clock skew (30 s), then it is still accepted', async () => {
    const justExpired = await customerToken('c-1', { ...valid, expiresIn: -10 });
    expect((await listOrders(app, bearer(justExpired))).status).toBe(200);
  });

  test('when the token is not valid yet beyond the clock skew, then 401', async () => {
    const early = await customerToken('c-1', { ...valid, notBeforeIn: 120 });
    await expectRejected(await listOrders(app, bearer(early)), 'invalid_token');
  });

  test('when the token is signed with another secret, then 401', async () => {
    const forged = await customerToken('c-1', { ...valid, secret: 'x'.repeat(40) });
    await expectRejected(await listOrders(app, bearer(forged)), 'invalid_token');
  });

  test('when the token says alg none and carries no signature, then 401', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1_000);
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
      sub: 'c-1',
      roles: ['operator'],
      iss: ISSUER,
      aud: AUDIENCE,
      exp: now + 300,
    })}.`;
    await expectRejected(await listOrders(app, bearer(unsigned)), 'invalid_token');
  });

  test.each([
    ['not a JWT at all', 'Bearer garbage'],
    ['three garbled parts', 'Bearer aaa.bbb.ccc'],
    ['a truncated token', 'truncate'],
    ['another scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['no token after the scheme', 'Bearer '],
  ])('when the Authorization header holds %s, then 401 invalid_token', async (_case, header) => {
    const value =
      header === 'truncate'
        ? `Bearer ${(await customerToken('c-1', valid)).slice(0, -10)}`
        : header;
    await expectRejected(await listOrders(app, { authorization: value }), 'invalid_token');
  });

  test.each([
    ['another issuer', { ...valid, issuer: 'https://evil.example/' }],
    ['another audience', { ...valid, audience: 'billing' }],
    ['no issuer', { audience: AUDIENCE }],
    ['no expiry', { ...valid, expiresIn: null }],
    ['roles that are not a list', { ...valid, roles: 'operator' }],
  ])('when the token has %s, then 401', async (_case, options) => {
    const token = await customerToken('c-1', options);
    await expectRejected(await listOrders(app, bearer(token)), 'invalid_token');
  });

  test.each([
    ['no subject', null],
    ['a subject with a control character', 'c-\u00071'],
    ['a subject with a zero-width space', 'c-\u200b1'],
  ])('when the token has %s, then 401', async (_case, subject) => {
    const token = await mintToken(subject, valid);
    await expectRejected(await listOrders(app, bearer(token)), 'invalid_token');
  });

  test('when the subject is in decomposed Unicode, then it is the same customer as its NFC form', async () => {
    const decomposed = bearer(await customerToken('jose\u0301', valid));
    const composed = bearer(await customerToken('jos\u00e9', valid));
    const placed = await fetch(`${app.url}/api/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...decomposed },
      body: JSON.stringify({
        currency: 'EUR',
        items: [{ productId: 'sku-1', productName: 'Beans', quantity: 1, unitPrice: 100 }],
      }),
    });
    expect(placed.status).toBe(202);
    const { id, customerId } = await readJson(placed);
    expect(customerId).toBe('jos\u00e9');
    expect((await fetch(`${app.url}/api/v1/orders/${id}`, { headers: composed })).status).toBe(200);
  });
});

describe('authentication with an identity provider’s JWKS (RS256, ES256)', () => {
  let app: TestService;
  let jwks: Server;
  const keys: Record<string, { privateKey: CryptoKey; jwk: JWK }> = {};
  let served: JWK[] = [];

  beforeAll(async () => {
    for (const [kid, alg] of [
      ['rsa-1', 'RS256'],
      ['ec-1', 'ES256'],
      ['rsa-unpublished', 'RS256'],
    ] as const) {
      const pair = await generateKeyPair(alg);
      keys[kid] = {
        privateKey: pair.privateKey,
        jwk: { ...(await exportJWK(pair.publicKey)), kid, alg },
      };
    }
    served = [keys['rsa-1']?.jwk as JWK, keys['ec-1']?.jwk as JWK];
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    app = await startTestService({
      AUTH_MODE: 'jwt',
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  async function signed(kid: string, alg: 'RS256' | 'ES256') {
    return new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setSubject('c-jwks')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys[kid]?.privateKey as CryptoKey);
  }

  test.each([
    ['RS256', 'rsa-1'],
    ['ES256', 'ec-1'],
  ] as const)(
    'when the token is signed %s with a published key, then it is accepted',
    async (alg, kid) => {
      expect((await listOrders(app, bearer(await signed(kid, alg)))).status).toBe(200);
    },
  );

  test('when the token names a key the provider does not publish, then 401', async () => {
    await expectRejected(
      await listOrders(app, bearer(await signed('rsa-unpublished', 'RS256'))),
      'invalid_token',
    );
  });

  test('when an HS256 token is signed with a published public key as its secret, then 401 (algorithm confusion)', async () => {
    const publicKeyAsSecret = JSON.stringify(keys['rsa-1']?.jwk);
    const token = await customerToken('c-jwks', { secret: publicKeyAsSecret });
    await expectRejected(await listOrders(app, bearer(token)), 'invalid_token');
  });
});

describe('authentication when the JWKS cannot be fetched', () => {
  let app: TestService;
  beforeAll(async () => {
    // A port nothing listens on: the provider is down.
    app = await startTestService({
      AUTH_MODE: 'jwt',
      AUTH_JWKS_URL: `http://127.0.0.1:${await freePort()}/jwks.json`,
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('when the keys cannot be fetched, then 503 with Retry-After: the client did nothing wrong', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k' })
      .setSubject('c-1')
      .setExpirationTime('5m')
      .sign((await generateKeyPair('RS256')).privateKey);
    const response = await listOrders(app, bearer(token));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await readJson(response)).toMatchObject({
      type: '/problems/authentication-unavailable',
    });
  });
});
