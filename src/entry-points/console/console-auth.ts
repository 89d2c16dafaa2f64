import type { RequestHandler } from 'express';
import { ForbiddenError } from '../../shared/app-error';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `authenticateConsole` on every request under /console/api/. */
    consoleUser: ConsoleUser;
  }
}

/** `viewer` reads everything (payloads only once revealed); `operator` also changes state. */
export type ConsoleRole = 'viewer' | 'operator';

export interface ConsoleUser {
  /** The token's subject: what the audit records as the actor. */
  subject: string;
  /** The strongest console role the token grants; none for a customer's token. */
  role: ConsoleRole | undefined;
}

/**
 * The token check the API uses (authentication.ts's createTokenReader, injected by the
 * composition root so that entry points stay apart): rejects with a 401 UnauthorizedError.
 * `undefined` stands for AUTH_MODE=none (development and tests only; production refuses it).
 */
export type ConsoleTokenReader =
  | ((authorizationHeader: string | undefined) => Promise<{
      subject: string;
      roles: readonly string[];
    }>)
  | undefined;

/** Whose console actions AUTH_MODE=none records: there is no token to name anyone. */
export const UNAUTHENTICATED_ACTOR = 'unauthenticated';

const RANK: Record<ConsoleRole, number> = { viewer: 1, operator: 2 };

export function consoleRoleOf(roles: readonly string[]): ConsoleRole | undefined {
  if (roles.includes('operator')) return 'operator';
  if (roles.includes('viewer')) return 'viewer';
  return undefined;
}

/**
 * Runs first on every path under /console/api/, known or not, so nothing is learned without a
 * valid token (401). Only the Authorization header counts: no cookie is ever read, so no other
 * site can act with an operator's ambient credentials (no CSRF).
 */
export function authenticateConsole(readToken: ConsoleTokenReader): RequestHandler {
  return async (req, _res, next) => {
    if (readToken === undefined) {
      req.consoleUser = { subject: UNAUTHENTICATED_ACTOR, role: 'operator' };
      return next();
    }
    const token = await readToken(req.get('authorization'));
    req.consoleUser = { subject: token.subject, role: consoleRoleOf(token.roles) };
    next();
  };
}

/** 403 unless the authenticated caller holds `role` or a stronger one. */
export function requireConsoleRole(role: ConsoleRole): RequestHandler {
  return (req, _res, next) => {
    const held = req.consoleUser?.role;
    if (held === undefined) {
      return next(new ForbiddenError('The console needs the viewer or operator role'));
    }
    if (RANK[held] < RANK[role]) {
      return next(new ForbiddenError(`This needs the ${role} role; the token grants ${held}`));
    }
    next();
  };
}
