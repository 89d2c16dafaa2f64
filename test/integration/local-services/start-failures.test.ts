/**
 * A local service that cannot start (Postgres, the JVM Kafka broker) ends `npm run demo` and
 * `npm run local-stack` with one line saying what to do: no unhandled 'error' event, no stack.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedKafkaStack } from '../../support/kafka-stack';
import { jvmBrokerUnavailableReason } from '../../support/kafka-jvm-broker';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
/** Only as root does the server run as another user, who cannot enter a root-only TMPDIR. */
const asRoot = process.getuid?.() === 0 ? test : test.skip;
const withJvm = jvmBrokerUnavailableReason() ? test.skip : test;

function run(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [path.join(ROOT, script)],
      { cwd: ROOT, timeout: 90_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines.filter((line) => !/^\[\s*\d+\.\d+s\]/.test(line))).toEqual([
    expect.stringMatching(pattern),
  ]);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain("Unhandled 'error' event");
}

describe('a local service that cannot start', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'start-failure-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  asRoot.each([
    ['scripts/local-stack.ts', 'local stack: '],
    ['scripts/demo.ts', 'demo failed: '],
  ])(
    'when embedded Postgres cannot start, then %s says so in one line',
    async (script, lead) => {
      chmodSync(scratch, 0o700); // as /root: the server's user cannot reach this TMPDIR
      const { brokers, registryUrl } = sharedKafkaStack();
      const result = await run(script, {
        TMPDIR: scratch,
        KAFKA_BROKERS: brokers,
        SCHEMA_REGISTRY_URL: registryUrl,
      });
      expect(result.code).toBe(1);
      expectOneLine(
        result.stderr,
        new RegExp(`^${lead}embedded Postgres .*; set DATABASE_URL to a Postgres you run`),
      );
    },
    100_000,
  );

  withJvm(
    'when java cannot run the Kafka broker, then local-stack says so in one line',
    async () => {
      const fakeBin = path.join(scratch, 'bin');
      mkdirSync(fakeBin);
      const java = path.join(fakeBin, 'java');
      writeFileSync(
        java,
        '#!/bin/sh\necho "Error: could not create the Java Virtual Machine." >&2\nexit 1\n',
      );
      chmodSync(java, 0o755);
      const { registryUrl } = sharedKafkaStack();
      const result = await run('scripts/local-stack.ts', {
        PATH: `${fakeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        DATABASE_URL: process.env.TEST_PG_ADMIN_URL as string,
        SCHEMA_REGISTRY_URL: registryUrl,
      });
      expect(result.code).toBe(1);
      expectOneLine(
        result.stderr,
        /^local stack: Apache Kafka [\d.]+ could not format its log directory \(Error: could not create the Java Virtual Machine\.\); check that `java -version` says 17 or later, or set KAFKA_BROKERS/,
      );
    },
    100_000,
  );
});
