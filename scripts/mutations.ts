// `npm run mutations`: every "fails when ..." claim of README and the tests, rerun. Each patch in
// test/mutations/ (listed in mutations.json) breaks one guarantee; this applies it to a scratch
// copy of the repository, runs the tests that claim to catch it there, and fails when a mutant
// survives (its tests all pass) or a patch no longer applies.
//
// MUTATIONS=ci runs the CI share only (`"ci": true` in the manifest); MUTATIONS=long adds the
// long-only mutants (a long drill); MUTATIONS_ONLY=<words> those whose name contains a word.
// MUTATIONS_RESULTS=<file> writes the results as JSON. The scratch copy is the working tree as it
// is (tracked files, committed or not: `git stash create`), so a patch is checked against what
// is about to be committed. The tests run against the services in the environment, if set
// (DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL), as `npm test` does.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalServices, type LocalServices } from '../test/support/local-services';

const ROOT = path.resolve(__dirname, '..');
const MANIFEST = path.join(ROOT, 'test/mutations/mutations.json');

interface Mutant {
  /** The patch file in test/mutations/, also the mutant's name. */
  patch: string;
  /** The claim the patch breaks, as README or the test states it. */
  claim: string;
  /** Test files (from the repository root) that claim to catch it, run together with jest. */
  tests?: string[];
  /** Instead of tests: a command run in the scratch copy (a drill); non-zero exit kills. */
  command?: string;
  /** Part of the share CI runs. */
  ci: boolean;
  /** Runs only with MUTATIONS=long (its check takes minutes). */
  longOnly?: boolean;
}

interface Result {
  patch: string;
  outcome: 'killed' | 'survived' | 'does not apply' | 'error';
  /** The failing tests (or the command) that killed it. */
  by: string[];
  seconds: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function selected(mutants: Mutant[]): Mutant[] {
  const set = process.env.MUTATIONS ?? 'all';
  const only = (process.env.MUTATIONS_ONLY ?? '').split(/[\s,]+/).filter(Boolean);
  return mutants.filter((mutant) => {
    if (only.length > 0) return only.some((word) => mutant.patch.includes(word));
    if (set === 'ci') return mutant.ci;
    return set === 'long' || !mutant.longOnly;
  });
}

/** A scratch copy of the working tree, sharing node_modules, the generated client and the jars. */
function scratchCopy(commit: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mutant-'));
  git(ROOT, 'worktree', 'add', '--detach', '--quiet', dir, commit);
  try {
    shareBuildOutputs(dir);
  } catch (error) {
    removeScratchCopy(dir);
    throw error;
  }
  return dir;
}

/** node_modules and the jars linked, the generated client copied (all untracked). */
function shareBuildOutputs(dir: string): void {
  const share = (from: string) => {
    const target = path.join(dir, from);
    if (existsSync(path.join(ROOT, from)) && !existsSync(target)) {
      symlinkSync(realpathSync(path.join(ROOT, from)), target);
    }
  };
  share('node_modules');
  for (const jars of ['test/kafka-broker/target', 'test/schema-registry/target']) share(jars);
  cpSync(path.join(ROOT, 'src/generated'), path.join(dir, 'src/generated'), { recursive: true });
}

function removeScratchCopy(dir: string): void {
  try {
    git(ROOT, 'worktree', 'remove', '--force', dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    git(ROOT, 'worktree', 'prune');
  }
}

/** Runs `command` in `cwd`, resolving with its exit code and its output. */
function run(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The test files jest failed, each with its first failing test ("● describe › test"). */
function failingTests(output: string): string[] {
  const failed = [...output.matchAll(/^FAIL (\S+)/gm)].map((match) => match[1] as string);
  const names = [...output.matchAll(/^\s+● (.+ › .+)$/gm)].map((match) => match[1] as string);
  const first = names[0]
    ? `: "${names[0]}"${names.length > 1 ? ` (+${names.length - 1} more)` : ''}`
    : '';
  return failed.length > 0 ? [`${[...new Set(failed)].join(', ')}${first}`] : [];
}

async function tryMutant(mutant: Mutant, commit: string): Promise<Result> {
  if (!mutant.command && (mutant.tests ?? []).length === 0) {
    return {
      patch: mutant.patch,
      outcome: 'error',
      by: ['no test or command claims to catch it'],
      seconds: 0,
    };
  }
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  const dir = scratchCopy(commit);
  try {
    const patch = path.join(ROOT, 'test/mutations', mutant.patch);
    const applied = await run('git', ['apply', patch], dir);
    if (applied.code !== 0) {
      return {
        patch: mutant.patch,
        outcome: 'does not apply',
        by: [applied.output.trim()],
        seconds: seconds(),
      };
    }
    const { code, output } = mutant.command
      ? await run('bash', ['-c', mutant.command], dir)
      : await run('npx', ['jest', '--maxWorkers=1', '--ci', ...(mutant.tests ?? [])], dir);
    if (code === 0) return { patch: mutant.patch, outcome: 'survived', by: [], seconds: seconds() };
    const by = mutant.command ? [mutant.command] : failingTests(output);
    if (by.length === 0) {
      // Jest failed without a failing test: a crash or a run that found nothing, not a kill.
      return {
        patch: mutant.patch,
        outcome: 'error',
        by: [output.slice(-2_000)],
        seconds: seconds(),
      };
    }
    return { patch: mutant.patch, outcome: 'killed', by, seconds: seconds() };
  } finally {
    removeScratchCopy(dir);
  }
}

/**
 * The services every mutant's tests use: the environment's, else started once here (as jest's
 * global setup would for each run) and handed to each run through the environment.
 */
async function sharedServices(): Promise<LocalServices | undefined> {
  const { DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL } = process.env;
  if (DATABASE_URL && KAFKA_BROKERS && SCHEMA_REGISTRY_URL) return undefined;
  const services = await startLocalServices({ fastPostgres: true });
  process.env.DATABASE_URL = services.postgres.adminUrl;
  process.env.KAFKA_BROKERS = services.kafka.brokers.join(',');
  process.env.SCHEMA_REGISTRY_URL = services.kafka.registryUrl;
  log(`mutations: started ${services.summary}`);
  return services;
}

async function main(): Promise<number> {
  const mutants = selected(JSON.parse(readFileSync(MANIFEST, 'utf8')) as Mutant[]);
  const services = await sharedServices();
  try {
    return await tryAll(mutants);
  } finally {
    await services?.stop();
  }
}

async function tryAll(mutants: Mutant[]): Promise<number> {
  // The working tree's tracked files as a commit (HEAD itself when nothing is changed).
  const commit = git(ROOT, 'stash', 'create') || git(ROOT, 'rev-parse', 'HEAD');
  log(`mutations: ${mutants.length} mutants on ${commit.slice(0, 12)}`);
  const results: Result[] = [];
  for (const mutant of mutants) {
    const result = await tryMutant(mutant, commit);
    results.push(result);
    const detail = result.outcome === 'killed' ? ` by ${result.by.join('; ')}` : '';
    log(`${result.patch}: ${result.outcome}${detail} (${result.seconds} s)`);
    if (result.outcome !== 'killed')
      for (const line of result.by) log(`  ${line.split('\n').join('\n  ')}`);
  }
  const total = results.reduce((sum, result) => sum + result.seconds, 0);
  const failed = results.filter((result) => result.outcome !== 'killed');
  log(
    `mutations: ${results.length - failed.length}/${results.length} killed in ${Math.round(total)} s`,
  );
  if (process.env.MUTATIONS_RESULTS) {
    const file = path.resolve(process.env.MUTATIONS_RESULTS);
    writeFileSync(
      file,
      `${JSON.stringify({ commit, at: new Date().toISOString(), results }, null, 2)}\n`,
    );
  }
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mutations: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
