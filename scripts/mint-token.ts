/**
 * `npm run -s token -- <subject> [--operator] [--minutes N]`: prints a bearer token for a service
 * running with AUTH_JWT_SECRET (and AUTH_ISSUER / AUTH_AUDIENCE when set), for trying the API by
 * hand. A development aid: production tokens come from the identity provider.
 */
import { parseArgs } from 'node:util';
import { loadConfigKeys } from '../src/config';
import { mintToken } from '../test/support/auth-tokens';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      operator: { type: 'boolean', default: false },
      minutes: { type: 'string', default: '60' },
    },
  });
  const subject = positionals[0];
  const config = loadConfigKeys(['AUTH_JWT_SECRET', 'AUTH_ISSUER', 'AUTH_AUDIENCE'], process.env);
  if (!subject || !config.AUTH_JWT_SECRET) {
    throw new Error(
      'usage: AUTH_JWT_SECRET=... npm run -s token -- <subject> [--operator] [--minutes N]',
    );
  }
  const token = await mintToken(subject, {
    secret: config.AUTH_JWT_SECRET,
    roles: values.operator ? ['operator'] : undefined,
    expiresIn: Number(values.minutes) * 60,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
