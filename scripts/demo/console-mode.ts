import { operatorToken } from '../../test/support/auth-tokens';

/** How long the printed token is good for: the service refuses tokens issued longer ago. */
const TOKEN_MINUTES = 60;

/**
 * `npm run demo -- --console`: after the scenarios, the stack stays up and the console's address
 * and an operator token are printed, with a link to each order's journey.
 */
export async function printConsoleAccess(
  adminUrl: string,
  orders: readonly { scenario: string; orderId: string }[],
): Promise<void> {
  const token = await operatorToken('demo-operator', { expiresIn: TOKEN_MINUTES * 60 });
  const consoleUrl = `${adminUrl}/console/`;
  const links = orders.map((o) => `  ${o.scenario.padEnd(28)} ${consoleUrl}#/orders/${o.orderId}`);
  process.stdout.write(
    [
      '',
      `Console: ${consoleUrl}`,
      `Operator token (valid ${TOKEN_MINUTES} minutes; paste it on the sign-in page):`,
      token,
      '',
      'Journeys:',
      ...links,
      '',
      'The stack keeps running; Ctrl-C stops it and drops the demo database.',
      '',
    ].join('\n'),
  );
}
