import { SignJWT } from 'jose';
import {
  createTokenReader,
  verifiedTokenLifetimeMs,
  type AuthenticationSettings,
} from '../../../../src/entry-points/http/authentication';
import { TEST_JWT_SECRET } from '../../../support/auth-tokens';

const T0 = Date.parse('2026-12-07T03:00:00Z');
const SECONDS = 1_000;

/** An HS256 token issued at T0 for c-1, signed with the test secret. */
function tokenAtT0(claims: { exp: number; iat?: number }): Promise<string> {
  return new SignJWT({ iat: claims.iat ?? T0 / SECONDS, exp: claims.exp })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('c-1')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

/** A token reader on a clock the test moves. */
function readerAt(settings: Partial<AuthenticationSettings> = {}) {
  const clock = { now: T0 };
  const read = createTokenReader(
    { mode: 'jwt', secret: TEST_JWT_SECRET, ...settings },
    () => clock.now,
  );
  return { clock, read: (token: string) => read(`Bearer ${token}`) };
}

describe('verified tokens are kept by their text, never past what a full check would allow', () => {
  test('when a token was verified, then the same token is accepted again before it expires', async () => {
    const { clock, read } = readerAt();
    const token = await tokenAtT0({ exp: T0 / SECONDS + 60 });
    await expect(read(token)).resolves.toEqual({ subject: 'c-1', roles: [] });
    clock.now = T0 + 59 * SECONDS;
    await expect(read(token)).resolves.toEqual({ subject: 'c-1', roles: [] });
  });

  test('when the same token comes again, then its signature is not checked again', async () => {
    const { read } = readerAt();
    const token = await tokenAtT0({ exp: T0 / SECONDS + 60 });
    const verify = jest.spyOn(crypto.subtle, 'verify');
    try {
      await read(token);
      await read(token);
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  test('when a verified token has expired beyond the clock tolerance, then it is refused', async () => {
    const { clock, read } = readerAt();
    const token = await tokenAtT0({ exp: T0 / SECONDS + 60 });
    await read(token);
    clock.now = T0 + (60 + 31) * SECONDS;
    await expect(read(token)).rejects.toMatchObject({ message: 'The token has expired' });
  });

  test('when a verified token is older than the age bound, then it is refused', async () => {
    const { clock, read } = readerAt({ maxTokenAgeSeconds: 120 });
    const token = await tokenAtT0({ exp: T0 / SECONDS + 3_600 });
    await read(token);
    clock.now = T0 + (120 + 31) * SECONDS;
    await expect(read(token)).rejects.toMatchObject({
      message: 'The token has expired',
    });
  });

  test('when a different token is sent, then its own signature is checked', async () => {
    const { read } = readerAt();
    const token = await tokenAtT0({ exp: T0 / SECONDS + 60 });
    await read(token);
    const [header, payload] = token.split('.');
    await expect(read(`${header}.${payload}.${'A'.repeat(43)}`)).rejects.toMatchObject({
      message: 'The token signature is not valid',
    });
  });
});

describe('how long a verified token is kept', () => {
  const exp = T0 / SECONDS + 3_600;

  test('when the key is a shared secret, then until its exp', () => {
    const settings = { mode: 'jwt', secret: TEST_JWT_SECRET } as const;
    expect(verifiedTokenLifetimeMs({ exp }, settings, T0)).toBe(3_600 * SECONDS);
  });

  test('when the keys come from a JWKS, then not at all (the key set sees every call)', () => {
    const settings = { mode: 'jwt', jwksUrl: 'https://idp.example.test/jwks' } as const;
    expect(verifiedTokenLifetimeMs({ exp }, settings, T0)).toBe(0);
  });

  test('when the token expires sooner than the age bound, then until its exp', () => {
    const settings = { mode: 'jwt', secret: TEST_JWT_SECRET, maxTokenAgeSeconds: 7_200 } as const;
    expect(verifiedTokenLifetimeMs({ exp, iat: T0 / SECONDS }, settings, T0)).toBe(3_600 * SECONDS);
  });
});
