/**
 * `npm run fuzz`: schemathesis against the built service, from the service's own OpenAPI
 * document. Starts the local services (test/support/local-services.ts), a fresh migrated
 * database and the service as in the bench (bench/stack.ts: AUTH_MODE=jwt, one customer's
 * token), then runs schemathesis with the checks that must never fail: no 5xx, and every
 * answer as the document says (status, content type, headers, body). Exit code: schemathesis's.
 * Schemathesis comes from PyPI (.ci/run installs the pinned version into .fuzz-venv); set
 * SCHEMATHESIS to use another binary.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startBenchStack } from '../bench/stack';
import { startLocalServices } from '../test/support/local-services';

const SCHEMATHESIS =
  process.env.SCHEMATHESIS ?? join(__dirname, '..', '.fuzz-venv/bin/schemathesis');
/** Examples per operation: enough to reach each error branch, small enough for CI (< 90 s). */
const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '30';
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];

/**
 * Schemathesis ends with pytest's banner ("=== 2 warnings in 5.77s ==="). CI readers take such a
 * banner as pytest's closing line, and one with no "passed" in it as a run that executed no test,
 * so the banners are printed as plain rules; the counts above them are unchanged.
 */
export function withoutPytestBanner(line: string): string {
  const banner = /^=+ (.*) =+$/.exec(line);
  return banner ? `-- ${banner[1]} --` : line;
}

async function main(): Promise<number> {
  const services = await startLocalServices();
  try {
    const stack = await startBenchStack(services, { LOG_LEVEL: 'error' });
    try {
      const fuzz = spawn(
        SCHEMATHESIS,
        [
          'run',
          `${stack.serviceUrl}/openapi.json`,
          '--url',
          stack.serviceUrl,
          '--checks',
          CHECKS.join(','),
          '--max-examples',
          MAX_EXAMPLES,
          '--seed',
          process.env.FUZZ_SEED ?? '1',
          '--header',
          `Authorization: ${stack.authorization.authorization}`,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { PATH: process.env.PATH, HOME: process.env.HOME },
        },
      );
      createInterface({ input: fuzz.stdout }).on('line', (line) =>
        process.stdout.write(`${withoutPytestBanner(line)}\n`),
      );
      const [code] = (await once(fuzz, 'close')) as [number | null];
      return code ?? 1;
    } finally {
      await stack.stop();
    }
  } finally {
    await services.stop();
  }
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
