/**
 * `npm run demo -- --console`: the demo leaves its stack running, prints the console's address
 * and an operator token that opens it, and tears everything down on Ctrl-C (SIGINT), exit 0.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { bearer } from '../../support/auth-tokens';
import { consoleFetch } from '../../support/console-client';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { readJson } from '../../support/order-service-harness';
import { waitFor } from '../../support/wait-for';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

jest.setTimeout(150_000);

test('when the demo runs with --console, then it stays up with a console an operator token opens, and Ctrl-C stops it cleanly', async () => {
  const kafka = sharedKafkaStack();
  const demo = spawn(TSX, [path.join(ROOT, 'scripts/demo.ts'), '--console'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      DATABASE_URL: process.env.TEST_PG_ADMIN_URL ?? '',
      KAFKA_BROKERS: kafka.brokers,
      SCHEMA_REGISTRY_URL: kafka.registryUrl,
    },
  });
  let stdout = '';
  let stderr = '';
  demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(demo, 'exit');
  try {
    await waitFor(() => stdout.includes('Ctrl-C') || demo.exitCode !== null, {
      timeoutMs: 120_000,
      message: 'the demo printed no console address',
    });
    expect(stderr).not.toContain('demo failed');
    const consoleUrl = /^Console: (\S+)$/m.exec(stdout)?.[1] ?? '';
    const token = /^Operator token.*\n(\S+)$/m.exec(stdout)?.[1] ?? '';
    const orderId = /#\/orders\/([\da-f-]{36})$/m.exec(stdout)?.[1] ?? '';
    const adminUrl = consoleUrl.replace(/\/console\/$/, '');

    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(await readJson(await consoleFetch(adminUrl, 'session', bearer(token)))).toEqual({
      subject: 'demo-operator',
      role: 'operator',
    });
    const journey = await readJson(
      await consoleFetch(adminUrl, `orders/${orderId}/journey`, bearer(token)),
    );
    expect(journey.order.status).toBe('CONFIRMED');
  } finally {
    demo.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
  }
  expect(stderr).toContain('dropped the demo database');
});
