import { execFile } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'src/entry-points/cli/register-schemas.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `schemas:register` through its real entry point, with only the given environment (no
 * DATABASE_URL, no KAFKA_BROKERS: it must not need them).
 */
export function runRegisterSchemas(env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
