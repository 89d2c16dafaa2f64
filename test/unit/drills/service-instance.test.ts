import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serviceInstance } from '../../../drills/service-instance';
import { freePort } from '../../support/processes';

/** A stand-in for dist/src/start.js: answers /health, and on SIGTERM does what `onStop` says. */
function fakeBuild(onStop: string): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fake-build-'));
  mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
  writeFileSync(
    path.join(root, 'dist', 'src', 'start.js'),
    `const server = require('node:http').createServer((_req, res) => res.end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); ${onStop} });`,
  );
  return root;
}

async function stopOf(onStop: string) {
  const root = fakeBuild(onStop);
  try {
    const ports = { port: await freePort(), adminPort: await freePort() };
    const instance = serviceInstance('fake', ports, { PATH: process.env.PATH ?? '' }, root);
    await instance.start();
    return await instance.stop();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe("a drill instance's orderly stop (drills/service-instance.ts)", () => {
  test('when it exits 0 having logged no error, then the stop reports exit 0 and no error', async () => {
    await expect(
      stopOf(
        `console.log(JSON.stringify({ level: 'info', message: 'stopped' })); process.exit(0);`,
      ),
    ).resolves.toEqual({ exit: 0, errors: [] });
  });

  test('when it logs an error and exits 1, then the stop reports both', async () => {
    await expect(
      stopOf(
        `console.log(JSON.stringify({ level: 'error', message: 'relay did not stop' })); process.exit(1);`,
      ),
    ).resolves.toEqual({
      exit: 1,
      errors: [JSON.stringify({ level: 'error', message: 'relay did not stop' })],
    });
  });

  test('when a crash prints a stack (not JSON), then that counts as an error', async () => {
    const stopped = await stopOf(`throw new Error('boom on stop');`);
    expect(stopped?.exit).toBe(1);
    expect(stopped?.errors.join('\n')).toContain('boom on stop');
  });
});
