// `npm run drills:self-check`: the drills must fail a broken service. Each patch in
// drills/broken-builds/ breaks the service in one way; it is applied to a scratch copy of this
// checkout's sources, built with tsc, and drilled by the drill that must catch it. The run fails
// unless every broken build fails its drill for the stated reason (a violation matching
// `caughtBy`); a drill that errors out instead does not count as a catch.
//
// The checkout is built first (npm run build, as for npm run drills); each broken build is a copy of that dist
// with only the patched files compiled again (TypeScript's transpileModule, with the project's
// compiler options), which takes a second where a full build of each took over a minute here.
//
// One drill per broken build is enough, because what catches each lives in the shared
// underLoad/invariant check that every drill ends with, and the drill chosen is the one whose
// faults could hide it:
// - unavailable-everywhere (every API call 503 with Retry-After, /health up) → the crash drill:
//   the minimum of orders accepted outside the fault windows is what fails it, and the crash
//   drill is the one with windows (the kills) in which refusals are excused.
// - exit-on-hostile-request (a malformed JSON body exits the process) → hostile HTTP, the only
//   drill that sends one: the instance is down at the end, and the valid orders it was serving
//   saw refused connections with no planned kill.
// - drop-every-tenth-outbox-row (marked published, never sent) → poison flood, the shortest
//   drill: orders stuck or failed against the peers' books, and terminal events missing on the
//   raw topics. DRILL_SETTLE_TIMEOUT_MS (30 s here) bounds the wait for a system that never settles.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { formatTable } from '../src/shared/text-table';
import { publishKafkaStack } from '../test/support/kafka-stack';
import { startLocalServices } from '../test/support/local-services';
import { crashDrill } from './crash-drill';
import type { Drill } from './drill';
import { hostileHttpDrill } from './hostile-http-drill';
import { poisonFloodDrill } from './poison-flood-drill';
import { seededRandom } from './seeded-random';

const ROOT = path.resolve(__dirname, '..');
/** What a broken build needs from the checkout: its build, the sources to patch, the schemas, the version. */
const COPIED = ['dist', 'src', 'schemas', 'package.json'];

interface BrokenBuild {
  patch: string;
  drill: Drill;
  caughtBy: RegExp;
}

const BROKEN_BUILDS: BrokenBuild[] = [
  {
    patch: 'unavailable-everywhere.patch',
    drill: crashDrill,
    caughtBy: /orders accepted outside the faults/,
  },
  {
    patch: 'exit-on-hostile-request.patch',
    drill: hostileHttpDrill,
    caughtBy: /is down at the end of the drill/,
  },
  {
    patch: 'drop-every-tenth-outbox-row.patch',
    drill: poisonFloodDrill,
    caughtBy: /the peers imply|terminal events|unpublished/,
  },
];

const log = (line: string) =>
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** The project's compiler options (tsconfig.build.json), for the patched files. */
function compilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.build.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options;
}

/** A copy of the build with `patch` applied to its sources and those recompiled; its directory. */
function buildBroken(patch: string, options: ts.CompilerOptions): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `broken-${path.basename(patch, '.patch')}-`));
  for (const entry of COPIED)
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const patchFile = path.join(__dirname, 'broken-builds', patch);
  execFileSync('git', ['apply', patchFile], { cwd: dir, stdio: 'inherit' });
  const patched = [...readFileSync(patchFile, 'utf8').matchAll(/^\+\+\+ b\/(\S+\.ts)$/gm)].map(
    (match) => match[1] as string,
  );
  if (patched.length === 0) throw new Error(`${patch} changes no .ts file`);
  for (const source of patched) {
    const { outputText, diagnostics } = ts.transpileModule(
      readFileSync(path.join(dir, source), 'utf8'),
      {
        compilerOptions: { ...options, sourceMap: false },
        fileName: path.join(ROOT, source), // under rootDir, as in the real build
        reportDiagnostics: true,
      },
    );
    if (diagnostics?.length) throw new Error(`${patch}: ${source} does not compile`);
    const out = path.join(dir, 'dist', source.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  return dir;
}

async function main(): Promise<number> {
  process.env.DRILL_SETTLE_TIMEOUT_MS ??= '30000';
  const seed = Number(process.env.DRILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  log(`drills self-check, seed ${seed}: replay with DRILL_SEED=${seed}`);
  const options = compilerOptions();
  const builds = BROKEN_BUILDS.map((build) => {
    const started = performance.now();
    const dir = buildBroken(build.patch, options);
    log(`${build.patch}: built in ${((performance.now() - started) / 1_000).toFixed(0)} s`);
    return { ...build, dir };
  });
  const rows: string[][] = [];
  let escaped = 0;
  const services = await startLocalServices();
  publishKafkaStack(services.kafka);
  try {
    for (const [index, build] of builds.entries()) {
      const started = performance.now();
      log(`${build.patch}: ${build.drill.name} must fail`);
      let verdict: string;
      try {
        const result = await build.drill.run({
          services,
          mode: 'short',
          random: seededRandom(seed + index * 7_919),
          log,
          serviceRoot: build.dir,
        });
        for (const violation of result.violations) log(`  violation: ${violation}`);
        const reason = result.violations.find((violation) => build.caughtBy.test(violation));
        verdict = reason ? `caught: ${reason.slice(0, 120)}` : 'NOT CAUGHT';
      } catch (error) {
        verdict = `NOT CAUGHT (the drill errored: ${(error as Error).message.slice(0, 200)})`;
      }
      if (verdict.startsWith('NOT')) escaped++;
      const seconds = ((performance.now() - started) / 1_000).toFixed(0);
      rows.push([build.patch, build.drill.name, `${seconds} s`, verdict]);
      log(`${build.patch}: ${verdict}`);
    }
  } finally {
    await services.stop();
    for (const build of builds) rmSync(build.dir, { recursive: true, force: true });
  }
  for (const line of formatTable(['broken build', 'drill', 'time', 'verdict'], rows, {
    style: 'markdown',
  }))
    process.stdout.write(`${line}\n`);
  return escaped === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(
      `self-check failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
