// The frame of bench/profile-drain.ts and bench/profile-saga.ts: a fresh bench stack whose
// service runs under `node --cpu-prof`, the script's own load against it, then the service is
// stopped (so V8 writes the profile) and bench/cpu-profile-summary.ts's summary is printed.
import { mkdirSync } from 'node:fs';
import { startLocalServices } from '../test/support/local-services';
import { printNewestProfile } from './cpu-profile-summary';
import { startBenchStack, type BenchStack } from './stack';

export async function withProfiledService(
  outDir: string,
  env: Record<string, string>,
  load: (stack: BenchStack) => Promise<void>,
): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const services = await startLocalServices();
  try {
    const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${outDir}`];
    const stack = await startBenchStack(services, env, 1, nodeArgs);
    try {
      await load(stack);
    } finally {
      await stack.stop();
    }
    printNewestProfile(outDir);
  } finally {
    await services.stop();
  }
}

/** Runs a profile script's main, exiting 1 with the error's text if it fails. */
export function runProfileScript(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}

/** Every value given after `--node-flag` (each flag its own `--node-flag`), in order. */
export function nodeFlagArguments(): string[] {
  return process.argv.flatMap((word, i, all) => (all[i - 1] === '--node-flag' ? [word] : []));
}

/** The number after `name` on the command line, or `fallback` when it is not given. */
export function numberArgument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
