import type { NextFunction, Request, Response } from 'express';
import {
  authenticateConsole,
  consoleRoleOf,
  requireConsoleRole,
  type ConsoleUser,
} from '../../../../src/entry-points/console/console-auth';
import { ForbiddenError } from '../../../../src/shared/app-error';

const run = async (
  handler: (req: Request, res: Response, next: NextFunction) => unknown,
  req: Partial<Request>,
) => {
  let passed: unknown = 'not called';
  await handler(req as Request, {} as Response, (error?: unknown) => (passed = error));
  return passed;
};

describe('console roles', () => {
  test.each([
    [['operator'], 'operator'],
    [['viewer'], 'viewer'],
    [['viewer', 'operator'], 'operator'],
    [['admin'], undefined],
    [[], undefined],
  ])('when the roles claim holds %j, then the console role is %s', (roles, role) => {
    expect(consoleRoleOf(roles)).toBe(role);
  });

  test.each<[ConsoleUser['role'], 'viewer' | 'operator', boolean]>([
    ['operator', 'operator', true],
    ['operator', 'viewer', true],
    ['viewer', 'viewer', true],
    ['viewer', 'operator', false],
    [undefined, 'viewer', false],
  ])('when a %s asks for what needs %s, then allowed is %s', async (held, needed, allowed) => {
    const passed = await run(requireConsoleRole(needed), {
      consoleUser: { subject: 's', role: held },
    });
    if (allowed) expect(passed).toBeUndefined();
    else expect(passed).toBeInstanceOf(ForbiddenError);
  });

  test('when AUTH_MODE=none (no token reader), then the caller is an operator named unauthenticated', async () => {
    const req: Partial<Request> = {};
    await run(authenticateConsole(undefined), req);
    expect(req.consoleUser).toEqual({ subject: 'unauthenticated', role: 'operator' });
  });
});
