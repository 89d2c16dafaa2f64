/**
 * A real Confluent-compatible schema registry for tests, the demo and the bench: Apicurio
 * Registry (test/schema-registry/pom.xml, from Maven Central) in a local JVM, in memory, serving
 * the Confluent REST API under /apis/ccompat/v7. Not Confluent's own registry (which no registry
 * these machines reach publishes), but an independent implementation of its API: code that works
 * against both it and the stand-in depends on the API, not on either one's quirks.
 *
 * Known differences from Confluent 7.x (measured): the global compatibility level reads NONE
 * (it is set to BACKWARD here with apicurio.rules.global.compatibility, which enforces it), and
 * `GET /config/{subject}` answers 200 NONE, not 404, for a subject without a level of its own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort } from './processes';
import { ServiceStartError } from './service-start-error';
import { waitFor } from './wait-for';

const REGISTRY_DIR = path.resolve(__dirname, '../schema-registry');
const APP_DIR = path.join(REGISTRY_DIR, 'target', 'apicurio');

export interface ApicurioRegistry {
  /** The Confluent-compatible base URL, for SCHEMA_REGISTRY_URL. */
  url: string;
  /** For example `Apicurio Registry 3.0.9 (Confluent API, local JVM)`. */
  description: string;
  stop(): Promise<void>;
}

/** Why this machine cannot run it, or undefined when it can. */
export function apicurioUnavailableReason(): string | undefined {
  if (!findExecutable('java')) return 'java is not installed';
  if (!runnerJar() && !findExecutable('mvn')) return 'mvn is not installed';
  return undefined;
}

function runnerJar(): string | undefined {
  if (!existsSync(APP_DIR)) return undefined;
  const jar = readdirSync(APP_DIR).find((file) =>
    /^apicurio-registry-app-.*-runner\.jar$/.test(file),
  );
  return jar && path.join(APP_DIR, jar);
}

/** Fetches the registry's distribution from Maven Central, once. */
export async function fetchApicurio(): Promise<string> {
  const existing = runnerJar();
  if (existing) return existing;
  const args = ['-q', '-B', '-f', path.join(REGISTRY_DIR, 'pom.xml'), 'package'];
  try {
    await promisify(execFile)('mvn', args, { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new ServiceStartError(
      'mvn could not fetch Apicurio Registry from Maven Central; run `npm run services:fetch` ' +
        'once with network access, or set SCHEMA_REGISTRY_URL',
      output.slice(-2_000),
    );
  }
  const jar = runnerJar();
  if (!jar) throw new Error(`no Apicurio runner jar in ${APP_DIR} after mvn package`);
  return jar;
}

export async function startApicurioRegistry(startTimeoutMs = 90_000): Promise<ApicurioRegistry> {
  const jar = await fetchApicurio();
  const version = /apicurio-registry-app-(.*)-runner\.jar$/.exec(jar)?.[1] ?? 'unknown';
  const port = await freePort();
  const command = [
    findExecutable('java') ?? 'java',
    '-Xms64m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Dquarkus.http.host=127.0.0.1',
    `-Dquarkus.http.port=${port}`,
    '-Dquarkus.log.level=WARN',
    // Confluent's default level; Apicurio's own default is NONE.
    '-Dapicurio.rules.global.compatibility=BACKWARD',
    '-jar',
    jar,
  ];
  // setpriv --pdeathsig: the kernel kills the registry if this process dies without cleanup.
  const setpriv = findExecutable('setpriv');
  const child: ChildProcess = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', ...command], {
        cwd: APP_DIR,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawn(command[0] as string, command.slice(1), {
        cwd: APP_DIR,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
  let spawnError: Error | undefined;
  // Without a listener a failed spawn (EACCES, ENOENT) is an unhandled 'error' event.
  child.once('error', (error) => (spawnError = error));
  let stderrTail = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4_000);
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const stop = async (): Promise<void> => {
    // A process that never started (pid undefined) has nothing to stop.
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL'); // in memory: nothing to flush
    await exited;
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (spawnError) throw spawnError;
        if (child.exitCode !== null) throw new Error('the registry process exited');
        return (await fetch(`${base}/health/ready`)).ok;
      },
      { timeoutMs: startTimeoutMs, intervalMs: 250, message: `Apicurio Registry on port ${port}` },
    );
  } catch (error) {
    await stop();
    const cause = (error as Error).message.split('\n')[0];
    throw new ServiceStartError(
      `Apicurio Registry ${version} did not start (${cause}); check that \`java -version\` ` +
        'says 17 or later, or set SCHEMA_REGISTRY_URL to a registry you run',
      stderrTail,
    );
  }
  return {
    url: `${base}/apis/ccompat/v7`,
    description: `Apicurio Registry ${version} (Confluent API, local JVM)`,
    stop,
  };
}
