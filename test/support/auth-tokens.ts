/**
 * Bearer tokens for tests, the demo and the bench: HS256 with a secret of this process's own,
 * as an identity provider would mint them for the service configured by `jwtSettings()`.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export const TEST_JWT_SECRET = randomBytes(32).toString('base64url');

/** The service settings that make it check tokens signed with `secret`. */
export function jwtSettings(secret = TEST_JWT_SECRET): Record<string, string> {
  return { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: secret };
}

export interface TokenOptions {
  secret?: string;
  roles?: unknown;
  /** Seconds from now; negative for an expired token, null for none at all. */
  expiresIn?: number | null;
  notBeforeIn?: number;
  issuer?: string;
  audience?: string;
  claims?: JWTPayload;
}

/** A token for `subject` (null: no `sub` claim). */
export async function mintToken(subject: string | null, options: TokenOptions = {}) {
  const now = Math.floor(Date.now() / 1_000);
  const { expiresIn = 300 } = options;
  const jwt = new SignJWT({
    ...(options.roles !== undefined && { roles: options.roles }),
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now);
  if (subject !== null) jwt.setSubject(subject);
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  if (options.notBeforeIn !== undefined) jwt.setNotBefore(now + options.notBeforeIn);
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export const customerToken = (customerId: string, options: TokenOptions = {}) =>
  mintToken(customerId, options);

export const operatorToken = (subject = 'operator-1', options: TokenOptions = {}) =>
  mintToken(subject, { roles: ['operator'], ...options });

export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});
