/**
 * A real Apache Kafka broker for tests, the demo and the bench: `kafka.Kafka` from Maven Central
 * (test/kafka-broker/pom.xml), one JVM in KRaft mode acting as broker and controller, on random
 * loopback ports, with topics NOT auto-created, as production clusters run.
 *
 * Needs `java` (17+) and `mvn`. The jars are resolved once into test/kafka-broker/target/libs
 * (`npm run services:fetch`, or on first use; a warm ~/.m2 makes that a few seconds).
 * TEST_KAFKA_VERSION (e.g. `4.1.1`) picks another Kafka from Maven Central instead of the pom's,
 * resolved into target/libs-<version> (`npm run test:kafka4`).
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, freePort, waitUntilStopped } from './processes';
import { brokerAnswers } from './broker-probe';
import { ServiceStartError } from './service-start-error';
import { waitFor } from './wait-for';

/** What to do when the broker cannot start: the same advice for every cause. */
const BROKER_ADVICE =
  'check that `java -version` says 17 or later, or set KAFKA_BROKERS to a broker you run';

const BROKER_DIR = path.resolve(__dirname, '../kafka-broker');
/** The 4.x broker `npm run test:kafka4` runs the contract, saga and DLQ tests against. */
export const KAFKA_4_VERSION = '4.1.1';

/** The Kafka version TEST_KAFKA_VERSION asks for, or undefined for the pom's own (3.9). */
export function requestedKafkaVersion(): string | undefined {
  const version = process.env.TEST_KAFKA_VERSION?.trim();
  if (!version) return undefined;
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`TEST_KAFKA_VERSION=${version} is not a Kafka version such as 4.1.1`);
  }
  return version;
}

function libsDir(version = requestedKafkaVersion()): string {
  return path.join(BROKER_DIR, 'target', version ? `libs-${version}` : 'libs');
}

export interface JvmBroker {
  /** The PLAINTEXT listener. */
  brokers: string[];
  /** `host:port` of each extra listener asked for, by name. */
  listeners: Record<string, string>;
  /** For example `Apache Kafka 3.9.1`. */
  version: string;
  pid: number;
  /** SIGSTOP, returning once every broker thread has stopped: requests now time out. */
  freeze(): void;
  /** SIGCONT: the broker answers again on the same connections. */
  thaw(): void;
  /** SIGKILL, keeping the log directory: `start()` again brings the same topics and offsets back. */
  kill(): Promise<void>;
  /**
   * Starts the broker again after kill(), on the same ports and log directory; `emptied` first
   * deletes and re-formats that directory, as a broker whose disk was lost comes back: no topics,
   * no records, no committed offsets.
   */
  start(options?: { emptied?: boolean }): Promise<void>;
  /** Stops the broker and deletes its log directory. */
  stop(): Promise<void>;
}

export type ListenerProtocol = 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL';

export interface ScramCredential {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export interface StartJvmBrokerOptions {
  startTimeoutMs?: number;
  /** Extra or overriding server.properties lines. */
  properties?: Record<string, string>;
  /**
   * Listeners besides PLAINTEXT (which stays the inter-broker one), by upper-case name, each on a
   * free port; their settings (`listener.name.<name>.*`, `ssl.*`) come through `properties`.
   */
  listeners?: Record<string, ListenerProtocol>;
  /**
   * Addresses to advertise for extra listeners, by name, instead of their own (a proxy in front
   * of the listener: clients then reach the broker through it after the bootstrap too).
   */
  advertise?: Record<string, string>;
  /** SCRAM users, written into the cluster metadata when the log directory is formatted. */
  scramCredentials?: ScramCredential[];
}

/** Why this machine cannot run the JVM broker, or undefined when it can. */
export function jvmBrokerUnavailableReason(): string | undefined {
  if (!findExecutable('java')) return 'java is not installed';
  if (!existsSync(libsDir()) && !findExecutable('mvn')) return 'mvn is not installed';
  return undefined;
}

/** Resolves the broker's jars from Maven Central into test/kafka-broker/target/libs*, once. */
export async function fetchJvmBrokerJars(version = requestedKafkaVersion()): Promise<string> {
  const dir = libsDir(version);
  if (existsSync(dir) && readdirSync(dir).some((jar) => jar.startsWith('kafka_2.13-'))) return dir;
  const args = ['-q', '-B', '-f', path.join(BROKER_DIR, 'pom.xml'), 'dependency:copy-dependencies'];
  if (version) args.push(`-Dkafka.version=${version}`, `-Dlibs.dir=${path.basename(dir)}`);
  try {
    await promisify(execFile)('mvn', args, { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new ServiceStartError(
      `mvn could not resolve the Kafka broker jars from Maven Central (${firstStderrLine(output, error)}); ` +
        'run `npm run services:fetch` once with network access, or set KAFKA_BROKERS',
      output.slice(-2_000),
    );
  }
  return dir;
}

export async function startJvmBroker(options: StartJvmBrokerOptions = {}): Promise<JvmBroker> {
  const { startTimeoutMs = 60_000 } = options;
  const libs = await fetchJvmBrokerJars();
  const kafkaJar = readdirSync(libs).find((jar) => /^kafka_2\.13-[\d.]+\.jar$/.test(jar));
  const version = `Apache Kafka ${kafkaJar?.replace(/^kafka_2\.13-|\.jar$/g, '') ?? 'unknown'}`;
  const java = findExecutable('java') ?? 'java';
  const classpath = `${libs}/*`;
  const [port, controllerPort] = await Promise.all([freePort(), freePort()]);
  const extra = Object.entries(options.listeners ?? {});
  const extraPorts = await Promise.all(extra.map(() => freePort()));
  const listeners = Object.fromEntries(
    extra.map(([name], index) => [name, `127.0.0.1:${extraPorts[index]}`]),
  );
  const listenerList = (withController: boolean) =>
    [
      `PLAINTEXT://127.0.0.1:${port}`,
      ...(withController ? [`CONTROLLER://127.0.0.1:${controllerPort}`] : []),
      ...extra.map(
        ([name]) =>
          `${name}://${(!withController && options.advertise?.[name]) || listeners[name]}`,
      ),
    ].join(',');
  const home = mkdtempSync(path.join(os.tmpdir(), 'kafka-broker-'));
  const logDir = path.join(home, 'data');
  const logFile = path.join(home, 'broker.log');
  const propertiesFile = path.join(home, 'server.properties');
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: listenerList(true),
    'advertised.listeners': listenerList(false),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': [
      'PLAINTEXT:PLAINTEXT',
      'CONTROLLER:PLAINTEXT',
      ...extra.map(([name, protocol]) => `${name}:${protocol}`),
    ].join(','),
    'log.dirs': logDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '10',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'log.retention.check.interval.ms': '3600000',
    ...options.properties,
  };
  writeFileSync(
    propertiesFile,
    Object.entries(properties)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n'),
  );
  const jvmOptions = [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    `-Dorg.slf4j.simpleLogger.logFile=${logFile}`,
  ];
  const clusterId = 'b3JkZXItc2FnYS10ZXN0'; // any 16 bytes, base64url: one cluster per log dir
  const format = () =>
    promisify(execFile)(java, [
      ...jvmOptions,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      '-t',
      clusterId,
      '-c',
      propertiesFile,
      ...(options.scramCredentials ?? []).flatMap(({ mechanism, username, password }) => [
        '--add-scram',
        `${mechanism}=[name=${username},password=${password}]`,
      ]),
    ]);
  try {
    await format();
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    const { stderr = '' } = error as { stderr?: string };
    throw new ServiceStartError(
      `${version} could not format its log directory (${firstStderrLine(stderr, error)}); ${BROKER_ADVICE}`,
      stderr,
    );
  }

  let child: ReturnType<typeof spawn> | undefined;
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  const launch = async (): Promise<void> => {
    // setpriv --pdeathsig: the kernel kills the broker if this process dies without cleanup.
    const setpriv = findExecutable('setpriv');
    const command = [java, ...jvmOptions, '-cp', classpath, 'kafka.Kafka', propertiesFile];
    const started = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'KILL', ...command], { stdio: 'ignore' })
      : spawn(command[0] as string, command.slice(1), { stdio: 'ignore' });
    child = started;
    let spawnError: Error | undefined;
    // Without a listener a failed spawn (EACCES, ENOENT) is an unhandled 'error' event.
    started.once('error', (error) => (spawnError = error));
    process.on('exit', killOnExit);
    let exited = false;
    started.once('exit', () => {
      exited = true;
      process.off('exit', killOnExit);
    });
    try {
      await waitFor(
        async () => {
          if (spawnError) throw spawnError;
          if (exited) throw new Error('the broker process exited');
          return brokerAnswers(`127.0.0.1:${port}`);
        },
        { timeoutMs: startTimeoutMs, intervalMs: 250, message: `${version} on port ${port}` },
      );
    } catch (error) {
      await kill();
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3_000) : '';
      const cause = (error as Error).message.split('\n')[0];
      throw new ServiceStartError(
        `${version} did not start (${cause}; log: ${logFile}); ${BROKER_ADVICE}`,
        tail,
      );
    }
  };
  const kill = async (): Promise<void> => {
    const running = child;
    if (!running || running.pid === undefined) return; // never started: nothing to stop
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL'); // also ends a frozen (SIGSTOPped) broker
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    // The log stays when there is one, as the error names it; the data goes.
    rmSync(existsSync(logFile) ? logDir : home, { recursive: true, force: true });
    throw error;
  }
  const pid = (): number => {
    if (child?.pid === undefined) throw new Error('the broker is not running');
    return child.pid;
  };
  return {
    brokers: [`127.0.0.1:${port}`],
    listeners,
    version,
    get pid() {
      return pid();
    },
    freeze: () => {
      process.kill(pid(), 'SIGSTOP');
      waitUntilStopped(pid());
    },
    thaw: () => process.kill(pid(), 'SIGCONT'),
    kill,
    async start({ emptied = false } = {}) {
      if (emptied) {
        rmSync(logDir, { recursive: true, force: true });
        await format();
      }
      await launch();
    },
    async stop() {
      await kill();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function firstStderrLine(stderr: string, error: unknown): string {
  const line = stderr.split('\n').find((text) => text.trim() !== '');
  return (line ?? (error as Error).message.split('\n')[0] ?? 'failed').trim();
}
